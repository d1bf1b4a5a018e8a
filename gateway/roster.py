"""The roster's routes (DESIGN §9 "Roster"): changing a team, changing a volunteer, and the
volunteer list. They join the contract's route table (`gateway.routes.ROUTES`) when this
module is imported, which `gateway.app` does.

A team is in a staff member's scope when its base area (the first of its areas) is; a
volunteer when their team is. Outside the scope a team or volunteer is answered 404 as if it
did not exist; naming an area outside the scope is 403 `out_of_scope`. Each change is a
command to the county that owns the team, whose answer is an event carrying only what
changed (`TeamChanged`, `VolunteerChanged`); nothing is edited in place.
"""

from __future__ import annotations

from aiohttp import web

from gateway.accounts import grant_to_phone
from gateway.errors import ApiError
from gateway.http import Call, answer, execute
from gateway.personal import Opened
from gateway.routes import (
    COMMAND_ERRORS,
    STAFF,
    _encode_cursor,
    _limit,
    _request_cursor,
    _result,
    _team_out,
    route,
)
from schemas import api
from schemas import commands as cmd
from schemas.accounts import Grant
from schemas.base import Command
from schemas.common import Role, county_of
from schemas.views import TeamView, VolunteerView

QUERY_LENGTH_MAX = 50
"""The longest `q` of the volunteer list: a name, an id or a skill, not a document."""


async def _team(call: Call, team_id: str) -> TeamView:
    """The team, if it exists and lies in the caller's scope (404 alike otherwise)."""
    team = await call.views.team(team_id)
    if team is None:
        raise ApiError(404, "not_found", "no such team")
    call.visible(team.areas[0], "team")
    return team


async def _team_detail(call: Call, team: TeamView) -> api.TeamDetailOut:
    history, total = await call.views.team_history(team, call.config.page_size_max)
    return api.TeamDetailOut(**_team_out(team).model_dump(), county=team.county,
                             history=history, history_total=total)


async def _people_free(call: Call, team: TeamView, people: list[str]) -> None:
    """Leaders and deputies new to the team act for no other team, in any county, and are
    not retired volunteers (the county's owner checks its own county again)."""
    for person in people:
        if person in team.people:
            continue
        other = await call.views.team_of_leader(person)
        if other is not None and other.team_id != team.team_id:
            raise ApiError(409, "leader_has_team",
                           f"{person} already leads or deputises for a team",
                           {"person": person, "team_id": other.team_id})
        volunteer = await call.views.volunteer(person)
        if volunteer is not None and not volunteer.active:
            raise ApiError(422, "volunteer_retired",
                           f"{person} is a retired volunteer and cannot act for a team",
                           {"volunteer_id": person})


@route("GET", "/api/v1/teams/{team_id}", "A team with its deputies, whether it is active, and "
       "its history of changes (oldest first, at most 200; history_total says how many). "
       "Staff in scope, and the team's leader and deputies; anyone else: 404",
       roles=(Role.STAFF, Role.LEADER), answer=api.TeamDetailOut, errors=(401, 403, 404),
       tag="directory")
async def get_team(call: Call) -> web.StreamResponse:
    team = await _team(call, call.match("team_id"))
    if call.who.role is Role.LEADER and not team.acts_for(call.who.subject):
        raise ApiError(404, "not_found", "no such team")
    return answer(await _team_detail(call, team))


@route("PATCH", "/api/v1/teams/{team_id}",
       "Change any of a team's fields (absent or null: unchanged); 200 with the team and its "
       "history. Only the fields that differ become a TeamChanged event; a body that changes "
       "nothing writes nothing. Areas must be registered (422 unknown_area), in the caller's "
       "scope (403 out_of_scope) and in the team's own county (422 areas_outside_county). "
       "A person leads or deputises for one team at most (409 leader_has_team), the leader "
       "is not also a deputy (422 leader_is_deputy), and a retired volunteer acts for no "
       "team (422 volunteer_retired); leaders and deputies need not be volunteers. Deputies "
       "act for the team as its leader does. An inactive team keeps the tasks it has and "
       "gets no new dispatch (manual dispatch: 409 team_inactive); a capacity below the "
       "current load is kept, and the team gets nothing more until its load is below it",
       roles=STAFF, body=api.TeamPatch, answer=api.TeamDetailOut, errors=COMMAND_ERRORS,
       tag="directory")
async def change_team(call: Call) -> web.StreamResponse:
    body: api.TeamPatch = call.body
    team = await _team(call, call.match("team_id"))
    asked = body.model_dump(exclude_none=True, exclude={"leader_phone", "leader_name"})
    if body.leader_phone is not None:
        await grant_to_phone(call, body.leader_phone, body.leader_name or "",
                             Grant(role=Role.LEADER, subject=body.leader_id or team.leader_id))
    if not asked:
        return answer(await _team_detail(call, team))

    async def build() -> Command:
        for area in body.areas or ():
            call.creates_in(area)
        outside = [a for a in body.areas or () if county_of(a) != team.county]
        if outside:
            raise ApiError(422, "areas_outside_county",
                           "a team's areas stay within the county it is registered in",
                           {"field": "areas", "county": team.county, "areas": outside})
        await _people_free(call, team, [p for p in (body.leader_id, *(body.deputies or ()))
                                        if p is not None])
        return cmd.ChangeTeam(**call.envelope(), team_id=team.team_id,
                              team_county=team.county, **asked)

    out = _result(await execute(call, build))
    if isinstance(out, web.Response):
        return out
    changed = await call.views.team(team.team_id)
    assert changed is not None
    return answer(await _team_detail(call, changed))


def _volunteer_out(volunteer: VolunteerView, opened: Opened | None) -> api.VolunteerOut:
    """A volunteer as the caller may see them: the phone only with the keys opened for a
    caller who may read it."""
    phone = None if opened is None else opened.open(volunteer.volunteer_id, "phone",
                                                    volunteer.phone)
    return api.VolunteerOut(volunteer_id=volunteer.volunteer_id, name=volunteer.name,
                            team_id=volunteer.team_id, skills=list(volunteer.skills),
                            active=volunteer.active, phone=phone)


async def _visible_volunteer(call: Call, volunteer_id: str) -> VolunteerView:
    volunteer = await call.views.volunteer(volunteer_id)
    team = None if volunteer is None else await call.views.team(volunteer.team_id)
    if volunteer is None or team is None or not call.sees(team.areas[0]):
        raise ApiError(404, "not_found", "no such volunteer")
    return volunteer


@route("PATCH", "/api/v1/volunteers/{volunteer_id}",
       "Change any of a volunteer's fields (absent: unchanged; `phone: null` removes the "
       "phone); 200 with the volunteer. Only what differs becomes a VolunteerChanged event. "
       "A move goes to a team the caller sees (422 unknown_team) in the same county (422 "
       "team_in_other_county). `active: false` retires the volunteer: their points stay, "
       "they are no longer offered to the leader and cannot be named at a completion (422 "
       "volunteer_retired); a volunteer who leads or deputises for a team is retired only "
       "once another is named (409 volunteer_leads_team). The phone is kept sealed under "
       "the volunteer's key and shown only to staff in scope and to the leader and deputies "
       "of the volunteer's team",
       roles=STAFF, body=api.VolunteerPatch, answer=api.VolunteerOut, errors=COMMAND_ERRORS,
       tag="directory")
async def change_volunteer(call: Call) -> web.StreamResponse:
    body: api.VolunteerPatch = call.body
    volunteer = await _visible_volunteer(call, call.match("volunteer_id"))
    person = volunteer.volunteer_id
    opened = await call.sealer.opened([person])
    asked = body.model_dump(exclude_none=True)
    if "phone" in body.model_fields_set and body.phone is None:
        asked["phone"] = ""
    if asked.get("phone") and asked["phone"] == opened.open(person, "phone", volunteer.phone):
        del asked["phone"]
    if not asked:
        return answer(_volunteer_out(volunteer, opened))

    async def build() -> Command:
        if body.team_id is not None and body.team_id != volunteer.team_id:
            team = await call.views.team(body.team_id)
            if team is None or not call.sees(team.areas[0]):
                raise ApiError(422, "unknown_team", f"no team {body.team_id}",
                               {"field": "team_id"})
            if team.county != volunteer.county:
                raise ApiError(422, "team_in_other_county",
                               "a volunteer moves only to a team of the same county; "
                               "register them in the other county instead",
                               {"field": "team_id", "county": volunteer.county})
        if body.active is False:
            led = await call.views.team_of_leader(person)
            if led is not None:
                raise ApiError(409, "volunteer_leads_team",
                               "this volunteer leads or deputises for a team: name another "
                               "first", {"team_id": led.team_id})
        if asked.get("phone"):
            asked.update(await call.sealer.seal(person, {"phone": asked["phone"]}))
        return cmd.ChangeVolunteer(**call.envelope(), volunteer_id=person,
                                   team_county=volunteer.county, **asked)

    out = _result(await execute(call, build))
    if isinstance(out, web.Response):
        return out
    if asked.get("phone"):
        await grant_to_phone(call, body.phone, body.name or volunteer.name,
                             Grant(role=Role.VOLUNTEER, subject=person))
    changed = await call.views.volunteer(person)
    assert changed is not None
    return answer(_volunteer_out(changed, await call.sealer.opened([person])))


def _matches(volunteer: VolunteerView, q: str) -> bool:
    """`q` found, ignoring case, in the name, the id or a skill."""
    q = q.casefold()
    return (q in volunteer.name.casefold() or q in volunteer.volunteer_id.casefold()
            or any(q in skill.casefold() for skill in volunteer.skills))


async def _page(call: Call, limit: int, after: tuple[float, str] | None,
                team: TeamView | None, q: str | None
                ) -> tuple[list[VolunteerView], tuple[float, str] | None]:
    """Up to `limit` volunteers (matching `q`) after the cursor, and where the next page
    starts (None: there is no more). A search reads at most `roster_scan_max` volunteers, so
    its page may be short while a cursor says there is more to look through."""
    budget = call.config.roster_scan_max if q else limit
    scope = None if team is not None else call.who.scope
    found: list[VolunteerView] = []
    scanned, cursor = 0, after
    while scanned < budget:
        asked = min(limit, budget - scanned)
        chunk = await call.views.volunteers(asked, cursor, team=team, scope=scope)
        for volunteer in chunk:
            scanned += 1
            cursor = (volunteer.rank, volunteer.volunteer_id)
            if q is None or _matches(volunteer, q):
                found.append(volunteer)
                if len(found) == limit:
                    return found, cursor
        if len(chunk) < asked:
            return found, None
    return found, cursor


@route("GET", "/api/v1/volunteers", "Volunteers, newest registered first, a page at a time "
       "(pass `next_cursor` back as `cursor`): staff see those of the teams in their scope, "
       "a leader or deputy those of their own team (404 no_team for one who has none). "
       "`team_id` narrows to one team (404 for a team the caller may not see); `q` keeps "
       "those whose name, id or a skill contains it, ignoring case: a search reads at most "
       "VD_ROSTER_SCAN_MAX (2000) volunteers per call, so a page may hold fewer than `limit` "
       "while `next_cursor` says there is more. Retired volunteers are listed with `active: "
       "false`; phones are shown (to exactly these callers)",
       roles=(Role.STAFF, Role.LEADER), answer=api.VolunteerListOut, errors=(400, 401, 403, 404),
       tag="directory", query=(("team_id", "only this team"),
                               ("q", f"name, id or skill; 1-{QUERY_LENGTH_MAX} characters"),
                               ("limit", "1-200"),
                               ("cursor", "from the previous page's next_cursor")))
async def list_volunteers(call: Call) -> web.StreamResponse:
    limit = _limit(call)
    after = _request_cursor(call)
    query = call.request.query
    q = query.get("q")
    if q is not None and not 1 <= len(q) <= QUERY_LENGTH_MAX:
        raise ApiError(400, "bad_query", f"q must be 1-{QUERY_LENGTH_MAX} characters")
    team_id = query.get("team_id")
    team: TeamView | None = None
    if call.who.role is Role.LEADER:
        team = await call.views.team_of_leader(call.who.subject)
        if team is None:
            raise ApiError(404, "no_team", "this leader leads no registered team")
        if team_id is not None and team_id != team.team_id:
            raise ApiError(404, "not_found", "no such team")
    elif team_id is not None:
        team = await _team(call, team_id)
    found, cursor = await _page(call, limit, after, team, q)
    opened = await call.sealer.opened(v.volunteer_id for v in found)
    return answer(api.VolunteerListOut(
        volunteers=[_volunteer_out(v, opened) for v in found],
        next_cursor=None if cursor is None else _encode_cursor(*cursor)))
