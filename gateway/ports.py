"""What the gateway needs from a run mode: a way to send commands, read derived state, and
say whether the platform is healthy.

The runtime implements them once over its store (`runtime.views`), with a command bus per
mode (the SQLite log embedded, Kafka scaled); the other ports are in `runtime.ports`. The
gateway never changes state itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from schemas.accounts import PersonAccount
from schemas.activities import ActivityView
from schemas.audit import AuditRecord
from schemas.base import Command, CommandOutcome
from schemas.care import CarePlanView, VisitView
from schemas.cases import CaseView
from schemas.certificates import CertificateView
from schemas.common import Role
from schemas.flags import FlagView
from schemas.households import CivicEntry, CivicItemView, CivicRuleView, HouseholdView
from schemas.residents import ResidentProfile
from schemas.views import (
    AccountView,
    AreaView,
    CatalogItemView,
    HeldCredit,
    HistoryItem,
    LedgerEntry,
    LiveSnapshot,
    Notification,
    RequestView,
    ReviewRuleView,
    TeamChange,
    TeamView,
    VolunteerView,
)
from schemas.wishes import WishView

FAILED_SENDS = "#outbox-failed"
"""The inbox of the texts the outbox set aside, which staff read (no subject holds a `#`)."""


class Unavailable(Exception):
    """The log cannot take the command now; the client should retry later."""

    def __init__(self, reason: str, retry_after_s: int = 5) -> None:
        super().__init__(reason)
        self.retry_after_s = retry_after_s


class CommandBus(Protocol):
    async def send(self, command: Command) -> None:
        """Append durably to the owner's log; an id already there is not appended again (its
        answer, with the first command's fingerprint, is the answer to this one too)."""

    async def outcome(self, command_id: UUID, wait_s: float) -> CommandOutcome | None:
        """The owner's answer, waiting up to `wait_s` for it."""


class Views(Protocol):
    async def area(self, code: str) -> AreaView | None: ...

    async def areas(self, within_area: str | None = None) -> list[AreaView]:
        """Every registered area, or those in an area (itself and below), parents first."""

    async def team(self, team_id: str) -> TeamView | None: ...

    async def teams(self, within_area: str | None = None) -> list[TeamView]:
        """Every team, or those based in an area (the first of a team's areas)."""

    async def team_of_leader(self, leader_id: str) -> TeamView | None:
        """The team this person leads or is a deputy of."""

    async def team_history(self, team: TeamView, limit: int) -> tuple[list[TeamChange], int]:
        """The team's changes, oldest first and at most `limit`, with how many there are."""

    async def volunteers(self, limit: int, after: tuple[float, str] | None = None, *,
                         team: TeamView | None = None, scope: str | None = None
                         ) -> list[VolunteerView]:
        """Newest registered first, strictly after the cursor (registered at as a timestamp,
        id): of one team, of the teams based in a scope, or all."""

    async def volunteer(self, volunteer_id: str) -> VolunteerView | None: ...

    async def team_volunteers(self, team_id: str) -> list[VolunteerView]: ...

    async def request(self, request_id: str) -> RequestView | None: ...

    async def requests_of_resident(self, resident_id: str, limit: int,
                                   after: tuple[float, str] | None = None,
                                   status: str | None = None, area: str | None = None
                                   ) -> list[RequestView]:
        """A resident's requests, as `requests` pages them."""

    async def requests(self, status: str | None, limit: int,
                       after: tuple[float, str] | None = None, area: str | None = None
                       ) -> list[RequestView]:
        """The newest first, strictly after the cursor (submitted at as a timestamp, id),
        of one status and within one area (itself and below) when given."""

    async def histories(self, requests: Sequence[RequestView], limit: int
                        ) -> list[tuple[list[HistoryItem], int]]:
        """Each request's history, oldest first and at most `limit` items, with its length."""

    async def entries(self, volunteer_id: str, limit: int, before_seq: int | None = None
                      ) -> list[LedgerEntry]:
        """A volunteer's ledger entries, newest first, before a place in the ledger."""

    async def held_credits(self, volunteer_id: str) -> list[HeldCredit]:
        """The credits flags hold or held for a volunteer, oldest first."""

    async def flags(self, area: str | None, status: str | None, limit: int,
                    after: tuple[float, str] | None = None) -> list[FlagView]:
        """Flags of an area and below (None: every area), of one status (None: any), newest
        first, strictly after the cursor."""

    async def flag(self, flag_id: str) -> FlagView | None: ...

    async def certificate(self, serial: str) -> CertificateView | None: ...

    async def certificates(self, volunteer_id: str, county: str, limit: int
                           ) -> list[CertificateView]:
        """The certificates a county issued to a volunteer, newest first."""

    async def tasks(self, team_id: str) -> list[RequestView]: ...

    async def account(self, volunteer_id: str) -> AccountView | None: ...

    async def person_account(self, account_id: str) -> PersonAccount | None:
        """A person's sign-in account (credentials, roles, open sessions)."""

    async def contact(self, role: Role, subject: str) -> PersonAccount | None:
        """The account to text for a role's subject (its phone), if one holds the grant."""

    async def resident(self, resident_id: str) -> ResidentProfile | None: ...

    async def residents(self, area: str | None, limit: int,
                        after: tuple[float, str] | None = None) -> list[ResidentProfile]:
        """Residents living in an area (None: everywhere), the newest registered first,
        strictly after the cursor (place in the county's registrations, id)."""

    async def audit(self, index: str, limit: int, after: tuple[float, str] | None = None
                    ) -> list[AuditRecord]:
        """Audit records of an index (`audit.owner`: all, an area, an actor), newest
        first, strictly after the cursor (time as a timestamp, audit id)."""

    async def activity(self, activity_id: str) -> ActivityView | None: ...

    async def activities(self, area: str | None, limit: int,
                         after: tuple[float, str] | None = None) -> list[ActivityView]:
        """Activities held in an area (None: everywhere), the latest start first, strictly
        after the cursor (start as a timestamp, id)."""

    async def activities_of(self, volunteer_id: str, county: str, limit: int,
                            after: tuple[float, str] | None = None) -> list[ActivityView]:
        """The activities of a county a volunteer is signed up for, as `activities`."""

    async def wish(self, wish_id: str) -> WishView | None: ...

    async def wishes(self, area: str | None, limit: int,
                     after: tuple[float, str] | None = None) -> list[WishView]:
        """Wishes posted in an area (None: everywhere), the newest first, strictly after
        the cursor (posting time as a timestamp, id)."""

    async def wishes_of(self, resident_id: str, county: str, limit: int,
                        after: tuple[float, str] | None = None) -> list[WishView]:
        """One resident's wishes, as `wishes`."""

    async def claims_of(self, volunteer_id: str, county: str, limit: int,
                        after: tuple[float, str] | None = None) -> list[WishView]:
        """The wishes a volunteer holds (claimed or done) or fulfilled, as `wishes`."""

    async def case(self, case_id: str) -> CaseView | None: ...

    async def cases(self, area: str | None, limit: int,
                    after: tuple[float, str] | None = None) -> list[CaseView]:
        """Cases opened in an area (None: everywhere), the newest first, strictly after the
        cursor (opening time as a timestamp, id)."""

    async def cases_of(self, resident_id: str, county: str, limit: int,
                       after: tuple[float, str] | None = None) -> list[CaseView]:
        """One resident's cases, as `cases`."""

    async def care_plan(self, plan_id: str) -> CarePlanView | None: ...

    async def care_plans(self, area: str | None, limit: int,
                         after: tuple[float, str] | None = None) -> list[CarePlanView]:
        """Care plans of an area's residents (None: everywhere), the newest first, strictly
        after the cursor (start as a timestamp, id)."""

    async def care_plans_of(self, resident_id: str, county: str) -> list[CarePlanView]:
        """One resident's care plans, the newest first."""

    async def visit(self, county: str, plan_id: str, period: int) -> VisitView | None:
        """One period's visit of a plan."""

    async def visits(self, area: str | None, limit: int,
                     after: tuple[float, str] | None = None) -> list[VisitView]:
        """Care visits of an area (None: everywhere), the latest period first, strictly after
        the cursor (the period's start as a timestamp, key)."""

    async def household(self, household_id: str) -> HouseholdView | None: ...

    async def households(self, area: str | None, limit: int,
                         after: tuple[float, str] | None = None) -> list[HouseholdView]:
        """Households registered in an area (None: everywhere), the latest first, strictly
        after the cursor (place of registration, id)."""

    async def review_rules(self, county: str) -> list[ReviewRuleView]:
        """Every review rule of a county, by area, then service type."""

    async def civic_rules(self, county: str) -> list[CivicRuleView]:
        """Every civic rule set in a county, by id."""

    async def civic_items(self, counties: Sequence[str] | None = None) -> list[CivicItemView]:
        """The village supermarkets' goods, by kiosk and id."""

    async def civic_entries(self, household: HouseholdView, limit: int
                            ) -> tuple[list[CivicEntry], int]:
        """A household's entries, the oldest first (at most `limit`), and their count."""

    async def catalog(self) -> list[CatalogItemView]: ...

    async def catalog_item(self, item_id: str) -> CatalogItemView | None: ...

    async def live(self, now: datetime, scope: str | None = None) -> LiveSnapshot:
        """The live board of a scope (None: the whole platform), counted within it."""

    async def notifications(self, recipient: str) -> list[Notification]: ...

    async def live_moved(self, position: int, timeout_s: float, scope: str | None = None
                         ) -> None:
        """Return once the scope's board has moved beyond `position`, or on timeout."""


class HealthCheck(Protocol):
    async def report(self) -> tuple[bool, dict[str, object]]:
        """Whether the platform can do its work now (the log takes writes, every owner and
        projection runs), and what was checked."""


class RateLimits(Protocol):
    async def hit(self, rule: str, key: str, limit: int, window_s: int) -> float | None:
        """Count one attempt of `key` under `rule`: None while within `limit` attempts per
        `window_s`, else the seconds until one more is allowed (nothing is counted then).
        Shared by every gateway of a platform."""

    async def exceeded(self, rule: str, key: str, limit: int, window_s: int
                       ) -> float | None:
        """Like `hit`, without counting: for limits on failures, counted only when one
        happens."""


class KeyStore(Protocol):
    """Each person's data key (DESIGN §9, crypto-shredding): personal fields enter the log
    sealed under their person's key, which lives here and nowhere in the logs kept forever;
    destroying the key erases the fields wherever their sealed copies are."""

    async def keys_of(self, persons: Sequence[str], create: bool = False
                      ) -> dict[str, bytes]:
        """The keys of those persons that have one; with `create`, a key is made for each
        that has none (once, whoever asks first: every caller gets the same key)."""

    async def destroy(self, person: str) -> bool:
        """Erase the person's key; False if there was none."""
