"""The gateway's read models (`gateway.ports.Views`), answered from a store: written once for
both run modes, over `MemoryStore` embedded and `RedisStore` scaled.

A county's rows sit under its own tag, so a look-up by an id that does not name its county
(a team, a leader, a volunteer) asks every registered county in one round trip; a city or
province has tens to a few hundred counties. A read within an area (a staff member's scope,
a filter) asks only that area's county: its small collections (areas, teams) are read and
cut to the area, its requests are paged from the area's own rankings.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from accounts.state import ACCOUNTS, CONTACTS
from activities.state import ACTIVITIES, activities_in, activities_of
from care.state import PLANS, VISITS, plans_in, plans_of, visits_in
from cases.state import CASES, cases_in, cases_of
from certificates.owner import CERTIFICATES, certificates_of
from dispatcher.state import REVIEW_RULES, VOLUNTEERS, members_of, request_index, volunteers_in
from flags.owner import FLAGS, flags_in
from households.state import CIVIC_ENTRIES, CIVIC_ITEMS, CIVIC_RULES, HOUSEHOLDS, households_in
from residents.owner import PROFILES, residents_in
from runtime.ports import Store
from schemas.accounts import PersonAccount, contact_key
from schemas.activities import ActivityView
from schemas.audit import AuditRecord
from schemas.care import CarePlanView, VisitView, visit_key
from schemas.cases import CaseView
from schemas.certificates import CertificateView
from schemas.common import Role, county_of, within
from schemas.flags import FlagView, county_of_flag
from schemas.households import CivicEntry, CivicItemView, CivicRuleView, HouseholdView
from schemas.residents import ResidentProfile
from schemas.topics import (
    ACTIVITY,
    AUDIT,
    CARE,
    CASE,
    CERTIFICATE,
    COUNTY,
    FLAG,
    HOUSEHOLD,
    ITEM,
    PERSON,
    RESIDENT,
    VOLUNTEER,
    WISH,
)
from schemas.views import (
    AccountView,
    AreaView,
    CatalogItemView,
    HeldCredit,
    HistoryItem,
    LedgerEntry,
    LiveSnapshot,
    Notification,
    Percentiles,
    RequestView,
    ReviewRuleView,
    TeamChange,
    TeamView,
    VolunteerView,
)
from schemas.wishes import WishView
from wishes.state import WISHES, claims_of, wishes_in, wishes_of


def empty_snapshot(now: datetime) -> LiveSnapshot:
    nothing = Percentiles(count=0, p50_s=None, p90_s=None)
    return LiveSnapshot(generated_at=now, position=0, funnel=(), by_area={},
                        by_service_type={}, time_to_dispatch=nothing, time_to_accept=nothing,
                        time_to_complete=nothing, overdue=(), escalated=(), recent=(),
                        teams=())


PLANS_OF_MAX = 50
"""Care plans of one resident read at most (one per service type is active at a time)."""


class StoreViews:
    def __init__(self, store: Store, notifications_max: int = 100) -> None:
        self.store = store
        self.notifications_max = notifications_max

    async def _counties(self) -> list[str]:
        return [COUNTY.tag(c) for c in await self.store.registered(COUNTY.name)]

    async def _anywhere(self, collection: str, key: str) -> tuple[str, Any] | None:
        """The first county holding a row with this key, and the row."""
        tags = await self._counties()
        for tag, row in zip(tags, await self.store.row_across(tags, collection, key),
                            strict=True):
            if row is not None:
                return tag, row
        return None

    async def _ranked_rows(self, tags: Sequence[str], index: str, collection: str, limit: int,
                           after: tuple[float, str] | None) -> list[Any]:
        """A page of a ranking across aggregates, as the rows it ranks, in its order: one
        read of the ranking, then one of the rows per aggregate the page touches."""
        ranked = await self.store.ranked(tags, index, limit, after)
        by_tag: dict[str, list[str]] = {}
        for _, member, tag in ranked:
            by_tag.setdefault(tag, []).append(member)
        found: dict[tuple[str, str], Any] = {}
        for tag, members in by_tag.items():
            rows = await self.store.rows(tag, collection, members)
            found |= {(tag, m): r for m, r in zip(members, rows, strict=True) if r is not None}
        return [found[(tag, m)] for _, m, tag in ranked if (tag, m) in found]

    async def _requests(self, tag: str, ids: list[str]) -> list[RequestView]:
        return [r for r in await self.store.rows(tag, "requests", ids) if r is not None]

    async def area(self, code: str) -> AreaView | None:
        found: AreaView | None = await self.store.row(COUNTY.tag(county_of(code)), "areas",
                                                      code)
        return found

    async def _tags(self, area: str | None) -> list[str]:
        """The counties to ask for what lies in an area (None: every area)."""
        return await self._counties() if area is None else [COUNTY.tag(county_of(area))]

    async def areas(self, within_area: str | None = None) -> list[AreaView]:
        found: list[AreaView] = await self.store.all_rows(await self._tags(within_area),
                                                          "areas")
        return sorted((a for a in found if within(a.code, within_area)), key=lambda a: a.code)

    async def team(self, team_id: str) -> TeamView | None:
        found = await self._anywhere("teams", team_id)
        return None if found is None else found[1]

    async def teams(self, within_area: str | None = None) -> list[TeamView]:
        """Teams based in an area (a team's base is the first of its areas)."""
        found: list[TeamView] = await self.store.all_rows(await self._tags(within_area),
                                                          "teams")
        return sorted((t for t in found if within(t.areas[0], within_area)),
                      key=lambda t: t.team_id)

    async def team_of_leader(self, leader_id: str) -> TeamView | None:
        """The team this person leads or deputises for (a row of "" says they no longer
        do: rows are never deleted)."""
        tags = await self._counties()
        for tag, team_id in zip(tags, await self.store.row_across(tags, "leaders", leader_id),
                                strict=True):
            if team_id:
                team: TeamView | None = await self.store.row(tag, "teams", team_id)
                return team
        return None

    async def team_history(self, team: TeamView, limit: int) -> tuple[list[TeamChange], int]:
        [found] = await self.store.journals(COUNTY.tag(team.county), "team_history",
                                            [team.team_id], limit)
        return found

    async def volunteer(self, volunteer_id: str) -> VolunteerView | None:
        found = await self._anywhere("volunteers", volunteer_id)
        return None if found is None else found[1]

    async def team_volunteers(self, team_id: str) -> list[VolunteerView]:
        team = await self.team(team_id)
        if team is None:
            return []
        tag = COUNTY.tag(team.county)
        members = await self.store.row(tag, "members", team_id) or ()
        found: list[VolunteerView | None] = await self.store.rows(tag, "volunteers",
                                                                  list(members))
        return [v for v in found if v is not None]

    async def volunteers(self, limit: int, after: tuple[float, str] | None = None, *,
                         team: TeamView | None = None, scope: str | None = None
                         ) -> list[VolunteerView]:
        """A page of volunteers, newest registered first, from a ranking: a team's, those
        of the teams based in a scope, or every county's. A page costs the same however
        many volunteers there are."""
        if team is not None:
            tags, index = [COUNTY.tag(team.county)], members_of(team.team_id)
        elif scope is not None:
            tags, index = [COUNTY.tag(county_of(scope))], volunteers_in(scope)
        else:
            tags, index = await self._counties(), VOLUNTEERS
        found: list[VolunteerView] = await self._ranked_rows(tags, index, "volunteers", limit,
                                                             after)
        return found

    async def request(self, request_id: str) -> RequestView | None:
        found: RequestView | None = await self.store.row(COUNTY.tag(county_of(request_id)),
                                                         "requests", request_id)
        return found

    async def requests_of_resident(self, resident_id: str, limit: int,
                                   after: tuple[float, str] | None = None,
                                   status: str | None = None, area: str | None = None
                                   ) -> list[RequestView]:
        """A resident's requests (of one status, in one area), newest first, strictly after
        the cursor. They are read whole: as many as the resident ordered, a number the
        orders' hourly limit keeps small."""
        tags = await self._tags(area)
        mine: list[RequestView] = []
        for tag, ids in zip(tags, await self.store.row_across(tags, "residents", resident_id),
                            strict=True):
            if ids:
                mine += await self._requests(tag, list(ids))
        def place(r: RequestView) -> tuple[float, str]:
            return r.submitted_at.timestamp(), r.request_id

        found = [r for r in mine if within(r.area, area) and status in (None, r.status.value)
                 and (after is None or place(r) < after)]
        return sorted(found, key=place, reverse=True)[:limit]

    async def requests(self, status: str | None, limit: int,
                       after: tuple[float, str] | None = None, area: str | None = None
                       ) -> list[RequestView]:
        """The newest requests (of one status, in one area), across counties, from their
        rankings: a page costs the same however many requests there are."""
        found: list[RequestView] = await self._ranked_rows(
            await self._tags(area), request_index(area, status), "requests", limit, after)
        return found

    async def histories(self, requests: Sequence[RequestView], limit: int
                        ) -> list[tuple[list[HistoryItem], int]]:
        """Each request's history (oldest first, at most `limit`) and its length."""
        by_tag: dict[str, list[str]] = {}
        for request in requests:
            by_tag.setdefault(COUNTY.tag(county_of(request.request_id)), []).append(
                request.request_id)
        found: dict[str, tuple[list[HistoryItem], int]] = {}
        for tag, ids in by_tag.items():
            pages = await self.store.journals(tag, "history", ids, limit)
            found |= dict(zip(ids, pages, strict=True))
        return [found[r.request_id] for r in requests]

    async def entries(self, volunteer_id: str, limit: int, before_seq: int | None = None
                      ) -> list[LedgerEntry]:
        """A volunteer's ledger entries, newest first, before the place `before_seq`."""
        tag = VOLUNTEER.tag(volunteer_id)
        after = None if before_seq is None else (float(before_seq), "")
        ranked = await self.store.ranked([tag], "entries", limit, after)
        found: list[LedgerEntry | None] = await self.store.rows(
            tag, "entries", [entry_id for _, entry_id, _ in ranked])
        return [e for e in found if e is not None]

    async def held_credits(self, volunteer_id: str) -> list[HeldCredit]:
        """A volunteer's credits that flags hold or held (posted, rejected): few, by rule."""
        found: list[HeldCredit] = await self.store.all_rows([VOLUNTEER.tag(volunteer_id)],
                                                            "held")
        return sorted(found, key=lambda h: h.entry.at)

    async def flags(self, area: str | None, status: str | None, limit: int,
                    after: tuple[float, str] | None = None) -> list[FlagView]:
        """Flags of an area (None: every county's), of one status or any, newest first."""
        counties = ([county_of(area)] if area is not None
                    else await self.store.registered(FLAG.name))
        found: list[FlagView] = await self._ranked_rows(
            [FLAG.tag(c) for c in counties], flags_in(area, status), FLAGS, limit, after)
        return found

    async def flag(self, flag_id: str) -> FlagView | None:
        county = county_of_flag(flag_id)
        if county is None:
            return None
        found: FlagView | None = await self.store.row(FLAG.tag(county), FLAGS, flag_id)
        return found

    async def certificate(self, serial: str) -> CertificateView | None:
        """A certificate by its serial, which names its county."""
        found: CertificateView | None = await self.store.row(CERTIFICATE.tag(serial[:6]),
                                                             CERTIFICATES, serial)
        return found

    async def certificates(self, volunteer_id: str, county: str, limit: int
                           ) -> list[CertificateView]:
        """The certificates a county issued to a volunteer, newest first."""
        found: list[CertificateView] = await self._ranked_rows(
            [CERTIFICATE.tag(county)], certificates_of(volunteer_id), CERTIFICATES, limit,
            None)
        return found

    async def tasks(self, team_id: str) -> list[RequestView]:
        team = await self.team(team_id)
        if team is None:
            return []
        tag = COUNTY.tag(team.county)
        ids = await self.store.row(tag, "tasks", team_id)
        return await self._requests(tag, list(ids or ()))

    async def account(self, volunteer_id: str) -> AccountView | None:
        found: AccountView | None = await self.store.row(VOLUNTEER.tag(volunteer_id),
                                                         "accounts", volunteer_id)
        return found

    async def person_account(self, account_id: str) -> PersonAccount | None:
        found: PersonAccount | None = await self.store.row(PERSON.tag(account_id),
                                                           ACCOUNTS, account_id)
        return found

    async def contact(self, role: Role, subject: str) -> PersonAccount | None:
        """The account to text for a role's subject, if one holds that grant."""
        key = contact_key(role, subject)
        holder: str | None = await self.store.row(PERSON.tag(key), CONTACTS, key)
        return await self.person_account(holder) if holder else None

    async def audit(self, index: str, limit: int, after: tuple[float, str] | None = None
                    ) -> list[AuditRecord]:
        """A page of audit records of one index (all, an area, an actor), newest first."""
        tags = [AUDIT.tag(k) for k in await self.store.registered(AUDIT.name)]
        found: list[AuditRecord] = await self._ranked_rows(tags, index, "audit", limit, after)
        return found

    async def resident(self, resident_id: str) -> ResidentProfile | None:
        """A resident's profile, wherever they live (an id does not name its county)."""
        tags = [RESIDENT.tag(c) for c in await self.store.registered(RESIDENT.name)]
        for row in await self.store.row_across(tags, PROFILES, resident_id):
            if row is not None:
                found: ResidentProfile = row
                return found
        return None

    async def residents(self, area: str | None, limit: int,
                        after: tuple[float, str] | None = None) -> list[ResidentProfile]:
        """Residents living in an area (None: everywhere), newest registration first."""
        counties = ([county_of(area)] if area is not None
                    else await self.store.registered(RESIDENT.name))
        found: list[ResidentProfile] = await self._ranked_rows(
            [RESIDENT.tag(c) for c in counties], residents_in(area), PROFILES, limit, after)
        return found

    async def activity(self, activity_id: str) -> ActivityView | None:
        """An activity, wherever it is held (an id does not name its county)."""
        tags = [ACTIVITY.tag(c) for c in await self.store.registered(ACTIVITY.name)]
        for row in await self.store.row_across(tags, ACTIVITIES, activity_id):
            if row is not None:
                found: ActivityView = row
                return found
        return None

    async def activities(self, area: str | None, limit: int,
                         after: tuple[float, str] | None = None) -> list[ActivityView]:
        """Activities held in an area (None: everywhere), the latest start first."""
        counties = ([county_of(area)] if area is not None
                    else await self.store.registered(ACTIVITY.name))
        found: list[ActivityView] = await self._ranked_rows(
            [ACTIVITY.tag(c) for c in counties], activities_in(area), ACTIVITIES, limit,
            after)
        return found

    async def activities_of(self, volunteer_id: str, county: str, limit: int,
                            after: tuple[float, str] | None = None) -> list[ActivityView]:
        """The activities of a county a volunteer is signed up for, the latest start first."""
        found: list[ActivityView] = await self._ranked_rows(
            [ACTIVITY.tag(county)], activities_of(volunteer_id), ACTIVITIES, limit, after)
        return found

    async def wish(self, wish_id: str) -> WishView | None:
        """A wish, wherever it is held (an id does not name its county)."""
        tags = [WISH.tag(c) for c in await self.store.registered(WISH.name)]
        for row in await self.store.row_across(tags, WISHES, wish_id):
            if row is not None:
                found: WishView = row
                return found
        return None

    async def wishes(self, area: str | None, limit: int,
                     after: tuple[float, str] | None = None) -> list[WishView]:
        """Wishes posted in an area (None: everywhere), the newest first."""
        counties = ([county_of(area)] if area is not None
                    else await self.store.registered(WISH.name))
        found: list[WishView] = await self._ranked_rows(
            [WISH.tag(c) for c in counties], wishes_in(area), WISHES, limit, after)
        return found

    async def wishes_of(self, resident_id: str, county: str, limit: int,
                        after: tuple[float, str] | None = None) -> list[WishView]:
        """One resident's wishes (held in their county), the newest first."""
        found: list[WishView] = await self._ranked_rows(
            [WISH.tag(county)], wishes_of(resident_id), WISHES, limit, after)
        return found

    async def claims_of(self, volunteer_id: str, county: str, limit: int,
                        after: tuple[float, str] | None = None) -> list[WishView]:
        """The wishes of a county a volunteer holds (claimed or done) or fulfilled, the
        newest first."""
        found: list[WishView] = await self._ranked_rows(
            [WISH.tag(county)], claims_of(volunteer_id), WISHES, limit, after)
        return found

    async def case(self, case_id: str) -> CaseView | None:
        """A case: its id names its county (`C<county>-…`)."""
        found: CaseView | None = await self.store.row(CASE.tag(case_id[1:7]), CASES, case_id)
        return found

    async def cases(self, area: str | None, limit: int,
                    after: tuple[float, str] | None = None) -> list[CaseView]:
        """Cases opened in an area (None: everywhere), the newest first."""
        counties = ([county_of(area)] if area is not None
                    else await self.store.registered(CASE.name))
        found: list[CaseView] = await self._ranked_rows(
            [CASE.tag(c) for c in counties], cases_in(area), CASES, limit, after)
        return found

    async def cases_of(self, resident_id: str, county: str, limit: int,
                       after: tuple[float, str] | None = None) -> list[CaseView]:
        """One resident's cases (held in their county), the newest first."""
        found: list[CaseView] = await self._ranked_rows(
            [CASE.tag(county)], cases_of(resident_id), CASES, limit, after)
        return found

    async def care_plan(self, plan_id: str) -> CarePlanView | None:
        """A care plan, wherever it is held (an id does not name its county)."""
        tags = [CARE.tag(c) for c in await self.store.registered(CARE.name)]
        for row in await self.store.row_across(tags, PLANS, plan_id):
            if row is not None:
                found: CarePlanView = row
                return found
        return None

    async def care_plans(self, area: str | None, limit: int,
                         after: tuple[float, str] | None = None) -> list[CarePlanView]:
        """Care plans of residents of an area (None: everywhere), the newest first."""
        counties = ([county_of(area)] if area is not None
                    else await self.store.registered(CARE.name))
        found: list[CarePlanView] = await self._ranked_rows(
            [CARE.tag(c) for c in counties], plans_in(area), PLANS, limit, after)
        return found

    async def care_plans_of(self, resident_id: str, county: str) -> list[CarePlanView]:
        """One resident's care plans, the newest first (a few at most)."""
        found: list[CarePlanView] = await self._ranked_rows(
            [CARE.tag(county)], plans_of(resident_id), PLANS, PLANS_OF_MAX, None)
        return found

    async def visit(self, county: str, plan_id: str, period: int) -> VisitView | None:
        found: VisitView | None = await self.store.row(CARE.tag(county), VISITS,
                                                       visit_key(plan_id, period))
        return found

    async def visits(self, area: str | None, limit: int,
                     after: tuple[float, str] | None = None) -> list[VisitView]:
        """Care visits in an area (None: everywhere), the latest period first."""
        counties = ([county_of(area)] if area is not None
                    else await self.store.registered(CARE.name))
        found: list[VisitView] = await self._ranked_rows(
            [CARE.tag(c) for c in counties], visits_in(area), VISITS, limit, after)
        return found

    async def catalog(self) -> list[CatalogItemView]:
        items = await self.store.registered(ITEM.name)
        found: list[CatalogItemView] = [
            i for i in await self.store.all_rows([ITEM.tag(i) for i in items], "items")]
        return sorted(found, key=lambda i: i.item_id)

    async def catalog_item(self, item_id: str) -> CatalogItemView | None:
        found: CatalogItemView | None = await self.store.row(ITEM.tag(item_id), "items",
                                                             item_id)
        return found

    async def household(self, household_id: str) -> HouseholdView | None:
        """A household, wherever it is registered (an id does not name its county)."""
        tags = [HOUSEHOLD.tag(c) for c in await self.store.registered(HOUSEHOLD.name)]
        for row in await self.store.row_across(tags, HOUSEHOLDS, household_id):
            if row is not None:
                found: HouseholdView = row
                return found
        return None

    async def households(self, area: str | None, limit: int,
                         after: tuple[float, str] | None = None) -> list[HouseholdView]:
        """Households registered in an area (None: everywhere), the latest first."""
        counties = ([county_of(area)] if area is not None
                    else await self.store.registered(HOUSEHOLD.name))
        found: list[HouseholdView] = await self._ranked_rows(
            [HOUSEHOLD.tag(c) for c in counties], households_in(area), HOUSEHOLDS, limit,
            after)
        return found

    async def review_rules(self, county: str) -> list[ReviewRuleView]:
        """A county's review rules: a few per area at most, read with its directory."""
        found: list[ReviewRuleView] = await self.store.all_rows([COUNTY.tag(county)],
                                                                REVIEW_RULES)
        return sorted(found, key=lambda r: (r.area, r.service_type or ""))

    async def civic_rules(self, county: str) -> list[CivicRuleView]:
        found: list[CivicRuleView] = await self.store.all_rows([HOUSEHOLD.tag(county)],
                                                               CIVIC_RULES)
        return sorted(found, key=lambda r: r.rule_id)

    async def civic_items(self, counties: Sequence[str] | None = None) -> list[CivicItemView]:
        """The supermarkets' goods of some counties (None: of every county)."""
        chosen = (await self.store.registered(HOUSEHOLD.name) if counties is None
                  else counties)
        found: list[CivicItemView] = await self.store.all_rows(
            [HOUSEHOLD.tag(c) for c in chosen], CIVIC_ITEMS)
        return sorted(found, key=lambda i: (i.kiosk_id, i.item_id))

    async def civic_entries(self, household: HouseholdView, limit: int
                            ) -> tuple[list[CivicEntry], int]:
        """A household's entries, the oldest first (at most `limit`), and how many it has."""
        [found] = await self.store.journals(HOUSEHOLD.tag(household.county), CIVIC_ENTRIES,
                                            [household.household_id], limit)
        return found

    async def live(self, now: datetime, scope: str | None = None) -> LiveSnapshot:
        """The board of a scope: one look-up (the projector keeps a board per area)."""
        return await self.store.live(scope) or empty_snapshot(now)

    async def live_moved(self, position: int, timeout_s: float, scope: str | None = None
                         ) -> None:
        await self.store.live_saved(position, timeout_s, scope)

    async def notifications(self, recipient: str) -> list[Notification]:
        return await self.store.inbox(recipient, self.notifications_max)
