"""The roster's rules (DESIGN §9 "Roster"): what a change of a team or a volunteer really
changes, who may act for a team, which areas a team may cover, and who may be named at a
completion.

Plain functions over the read models, without I/O: the handlers ask them before emitting
anything. Teams and volunteers stay in their county's aggregate, beside its requests: every
dispatch reads a team's load, capacity and active flag, so a change made in the same
aggregate is never seen half-done by a dispatch, and no second owner has to be kept in step.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import JsonValue

from schemas.base import RejectionKind
from schemas.common import county_of
from schemas.views import TeamView, VolunteerView


@dataclass(frozen=True)
class Problem:
    """Why a roster command is refused; the handler turns it into the owner's rejection."""

    kind: RejectionKind
    code: str
    message: str
    details: dict[str, JsonValue] = field(default_factory=dict)


def team_changes(team: TeamView, asked: Mapping[str, object]) -> dict[str, object]:
    """The asked fields whose values differ from the team's: only those make an event."""
    return {name: value for name, value in asked.items() if getattr(team, name) != value}


def volunteer_changes(volunteer: VolunteerView, asked: Mapping[str, object]
                      ) -> dict[str, object]:
    """The asked fields that differ from the volunteer's; an empty phone removes one, so it
    changes nothing where there is none."""
    changes: dict[str, object] = {}
    for name, value in asked.items():
        current = getattr(volunteer, name)
        if name == "phone":
            current = current or ""
        if current != value:
            changes[name] = value
    return changes


def areas_problem(county: str, areas: Sequence[str], registered: Collection[str]
                  ) -> Problem | None:
    """A team covers registered areas of its own county (the county owns its load)."""
    unknown = [a for a in areas if a not in registered]
    if unknown:
        return Problem("invalid", "unknown_area", "teams may only cover registered areas",
                       {"field": "areas", "areas": list(unknown)})
    outside = [a for a in areas if county_of(a) != county]
    if outside:
        return Problem("invalid", "areas_outside_county",
                       "a team's areas stay within the county it is registered in",
                       {"field": "areas", "county": county, "areas": list(outside)})
    return None


def people_problem(team: TeamView, led: Mapping[str, str],
                   volunteers: Mapping[str, VolunteerView]) -> Problem | None:
    """Who acts for a team: its leader and deputies. Each person acts for one team at most
    (so a leader's token names one inbox), a deputy is not the leader too, and a retired
    volunteer acts for none. `led` maps a person to the team they act for ("": none)."""
    if team.leader_id in team.deputies:
        return Problem("invalid", "leader_is_deputy", "the leader cannot also be a deputy",
                       {"field": "deputies", "person": team.leader_id})
    for person in (team.leader_id, *team.deputies):
        where = "leader_id" if person == team.leader_id else "deputies"
        other = led.get(person)
        if other and other != team.team_id:
            return Problem("conflict", "leader_has_team",
                           f"{person} already leads or deputises for a team",
                           {"field": where, "person": person, "team_id": other})
        volunteer = volunteers.get(person)
        if volunteer is not None and not volunteer.active:
            return Problem("invalid", "volunteer_retired",
                           f"{person} is a retired volunteer and cannot act for a team",
                           {"field": where, "volunteer_id": person})
    return None


def team_change_problem(before: TeamView, after: TeamView, registered: Collection[str],
                        led: Mapping[str, str], volunteers: Mapping[str, VolunteerView]
                        ) -> Problem | None:
    """What would be wrong with the team after the change (only what changed is checked:
    a team registered before a rule existed is not refused for an unrelated change)."""
    if after.areas != before.areas:
        problem = areas_problem(before.county, after.areas, registered)
        if problem is not None:
            return problem
    if (after.leader_id, after.deputies) != (before.leader_id, before.deputies):
        return people_problem(after, led, volunteers)
    return None


def volunteer_change_problem(before: VolunteerView, after: VolunteerView,
                             teams: Mapping[str, TeamView], led: Mapping[str, str]
                             ) -> Problem | None:
    """A volunteer moves only to a team of the same county, and is not retired while they
    still act for a team (another leader or deputy is named first)."""
    if after.team_id != before.team_id and after.team_id not in teams:
        return Problem("invalid", "unknown_team", f"no team {after.team_id} in this county",
                       {"field": "team_id"})
    acting_for = led.get(before.volunteer_id)
    if before.active and not after.active and acting_for:
        return Problem("conflict", "volunteer_leads_team",
                       "this volunteer leads or deputises for a team: name another first",
                       {"team_id": acting_for})
    return None


def crew_problem(team_id: str, named: Sequence[str], volunteers: Mapping[str, VolunteerView]
                 ) -> Problem | None:
    """Who may be named at a completion: registered volunteers of the team, still active
    (a retired volunteer keeps their points but earns no new ones)."""
    strangers = [v for v in named if (vol := volunteers.get(v)) is None or vol.team_id != team_id]
    if strangers:
        return Problem("invalid", "volunteer_not_in_team",
                       "every volunteer named must be registered in the team",
                       {"field": "volunteers", "volunteers": list(strangers)})
    retired = [v for v in named if not volunteers[v].active]
    if retired:
        return Problem("invalid", "volunteer_retired",
                       "a retired volunteer cannot be named at a completion",
                       {"field": "volunteers", "volunteers": list(retired)})
    return None
