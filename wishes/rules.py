"""The rules of micro-wishes, pure (DESIGN §11): who may claim, release, mark done, confirm
or withdraw a wish, and what each step makes of it.

Nothing here reads a clock or a store: times and the claimer's count come in as arguments.
Each check raises `Refused` before anything changes; each step returns the new wish, and
the county's state evolves by the same steps, so the rules and the stored rows agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.base import Actor
from schemas.decision import Refused
from schemas.wishes import WishView


@dataclass(frozen=True)
class WishPolicy:
    claims_max: int = 3
    """Open claims one volunteer holds at most: a claim is a promise to a resident, and a
    volunteer who hoards them keeps the others from helping."""
    claim_window_s: int = 14 * 86400
    """A claim not marked done within this is released by itself, back to the pool."""


def held_by(wishes: Iterable[WishView], volunteer_id: str) -> int:
    """A volunteer's open claims: claimed and not yet marked done (a wish marked done
    awaits the resident, not the volunteer)."""
    return sum(1 for w in wishes if w.status == "claimed" and w.claimer == volunteer_id)


def check_claim(wish: WishView, volunteer_id: str, held: int, policy: WishPolicy) -> None:
    if wish.status in ("claimed", "done"):
        raise Refused("conflict", "already_claimed", "this wish is claimed"
                      + (" by you" if wish.claimer == volunteer_id else ""))
    if wish.status != "open":
        raise Refused("conflict", "not_open", f"this wish is {wish.status}")
    if held >= policy.claims_max:
        raise Refused("conflict", "claim_limit", f"a volunteer holds at most "
                      f"{policy.claims_max} open claims", claims_max=policy.claims_max)


def _check_claimer(wish: WishView, volunteer_id: str) -> None:
    if wish.status != "claimed":
        raise Refused("conflict", "not_claimed", f"this wish is {wish.status}, not claimed")
    if wish.claimer != volunteer_id:
        raise Refused("forbidden", "not_claimer", "only the volunteer who claimed this wish "
                      "may do this")


def check_release(wish: WishView, volunteer_id: str) -> None:
    _check_claimer(wish, volunteer_id)


def check_fulfil(wish: WishView, volunteer_id: str) -> None:
    _check_claimer(wish, volunteer_id)


def check_confirm(wish: WishView) -> None:
    if wish.status != "done":
        raise Refused("conflict", "not_done", f"this wish is {wish.status}: the claimer "
                      "marks it done first")


def check_withdraw(wish: WishView) -> None:
    """A wish is withdrawn before its claimer marked it done: after that the service was
    given, and only a confirmation ends it."""
    if wish.status not in ("open", "claimed"):
        raise Refused("conflict", "not_open", f"this wish is {wish.status}")


def lapses_at(wish: WishView, policy: WishPolicy) -> datetime | None:
    """When the wish's present claim is released by itself (None: no claim pending)."""
    if wish.status != "claimed" or wish.claimed_at is None:
        return None
    return wish.claimed_at + timedelta(seconds=policy.claim_window_s)


def lapsed(wish: WishView, claim: int | None, at: datetime, policy: WishPolicy) -> bool:
    """Whether claim number `claim` is still the wish's and its window has passed at `at`
    (a timer's release that comes after a release by hand or a new claim changes nothing)."""
    due = lapses_at(wish, policy)
    return due is not None and wish.claims == claim and due <= at


# -- the steps -----------------------------------------------------------------------------


def claimed(wish: WishView, volunteer_id: str, at: datetime) -> WishView:
    return wish.model_copy(update={"status": "claimed", "claimer": volunteer_id,
                                   "claimed_at": at, "claims": wish.claims + 1})


def released(wish: WishView) -> WishView:
    return wish.model_copy(update={"status": "open", "claimer": None, "claimed_at": None})


def done(wish: WishView, note: str, hours: float | None, at: datetime) -> WishView:
    return wish.model_copy(update={"status": "done", "note": note, "hours": hours,
                                   "done_at": at})


def fulfilled(wish: WishView, by: Actor, at: datetime) -> WishView:
    return wish.model_copy(update={"status": "fulfilled", "fulfilled_at": at,
                                   "confirmed_by": by})


def withdrawn(wish: WishView, at: datetime) -> WishView:
    return wish.model_copy(update={"status": "withdrawn", "claimer": None,
                                   "claimed_at": None, "withdrawn_at": at})
