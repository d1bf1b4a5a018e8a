"""A county's wishes: one row each, ranked by posting time under every level of its area,
under its resident and under its claimer, so the lists an office, a village, a resident or a
volunteer reads are pages of one ranking. The claimed wishes are kept aside by claimer:
what the claim limit counts and the lapse timer looks at."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from schemas import wishes as w
from schemas.base import Event
from schemas.common import ancestors
from schemas.records import Journal, Ranking, Records
from schemas.wishes import WishView
from wishes import rules
from wishes.rules import WishPolicy

WISHES = "wishes"


def wishes_in(area: str | None) -> str:
    """The ranking of the wishes posted in an area (None: in the whole county)."""
    return f"wishes:{area or 'all'}"


def wishes_of(resident_id: str) -> str:
    """The ranking of one resident's wishes."""
    return f"wishes-of:{resident_id}"


def claims_of(volunteer_id: str) -> str:
    """The ranking of the wishes a volunteer holds or held to the end: claimed, done or
    fulfilled (a released or withdrawn claim leaves it)."""
    return f"claims-of:{volunteer_id}"


class WishesState:
    def __init__(self) -> None:
        self.wishes: Records[WishView] = Records()
        self.ranks = Ranking()
        self.claimed: dict[str, str] = {}
        """Claimed wishes (not yet marked done) by id: their claimer."""

    def collections(self) -> dict[str, Records[Any]]:
        return {WISHES: self.wishes}

    def journals(self) -> dict[str, Journal[Any]]:
        return {}

    def ranking(self) -> Ranking:
        return self.ranks

    def restore(self, rows: dict[str, dict[str, Any]]) -> None:
        for key, wish in rows.get(WISHES, {}).items():
            self.wishes.load(key, wish)
            self._track(wish)

    def held_by(self, volunteer_id: str) -> int:
        return sum(1 for claimer in self.claimed.values() if claimer == volunteer_id)

    def lapsed(self, now: datetime, policy: WishPolicy) -> list[WishView]:
        """Claimed wishes whose claim window has passed."""
        out = []
        for wish_id in sorted(self.claimed):
            wish = self.wishes[wish_id]
            if rules.lapsed(wish, wish.claims, now, policy):
                out.append(wish)
        return out

    def _track(self, wish: WishView) -> None:
        if wish.status == "claimed" and wish.claimer is not None:
            self.claimed[wish.wish_id] = wish.claimer
        else:
            self.claimed.pop(wish.wish_id, None)

    def evolve(self, event: Event) -> None:
        if not isinstance(event, w.WishEvent):
            return
        if isinstance(event, w.WishPosted):
            wish = WishView(
                wish_id=event.wish_id, county=event.county, area=event.area,
                resident_id=event.resident_id, title=event.title, details=event.details,
                created_by=event.actor, created_at=event.occurred_at,
                seq=len(self.wishes) + 1)
            score = wish.created_at.timestamp()
            for place in (None, *ancestors(wish.area)):
                self.ranks.rank(wishes_in(place), wish.wish_id, score)
            self.ranks.rank(wishes_of(wish.resident_id), wish.wish_id, score)
        else:
            before = self.wishes[event.wish_id]
            wish = self._changed(before, event)
            self._rank_claim(before, wish)
        self.wishes.put(wish.wish_id, wish)
        self._track(wish)

    def _rank_claim(self, before: WishView, after: WishView) -> None:
        if before.claimer == after.claimer:
            return
        if before.claimer is not None:
            self.ranks.unrank(claims_of(before.claimer), before.wish_id)
        if after.claimer is not None:
            self.ranks.rank(claims_of(after.claimer), after.wish_id,
                            after.created_at.timestamp())

    @staticmethod
    def _changed(before: WishView, event: w.WishEvent) -> WishView:
        at = event.occurred_at
        if isinstance(event, w.WishClaimed):
            return rules.claimed(before, event.volunteer_id, at)
        if isinstance(event, w.ClaimReleased):
            return rules.released(before)
        if isinstance(event, w.WishDone):
            return rules.done(before, event.note, event.hours, at)
        if isinstance(event, w.WishFulfilled):
            return rules.fulfilled(before, event.actor, at)
        if isinstance(event, w.WishWithdrawn):
            return rules.withdrawn(before, at)
        return before
