"""Micro-wishes (微心愿, DESIGN §11): a resident's small wish, claimed by a volunteer, marked
done by the claimer, confirmed by the resident or staff, and credited as service hours.

A wish is owned by its county, as activities are: a county's wishes are one aggregate, so an
office's list is a page of one ranking, a volunteer's open claims are counted where they are
decided, and the lapse timer (a claim released by itself after its window) runs where the
county is held. The wish's title and details are free text about a resident: they enter the
log sealed under the resident's key (DESIGN §9), and so does the claimer's note of what was
done for them; they read `[已删除]` once the key is destroyed.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from schemas.base import Actor, Command, Event, Frozen
from schemas.common import AreaCode, Hours, Identifier, Sealed

County = Annotated[str, Field(pattern=r"^[0-9]{6}$")]
WishStatus = Literal["open", "claimed", "done", "fulfilled", "withdrawn"]
WISH_STATUSES: tuple[WishStatus, ...] = ("open", "claimed", "done", "fulfilled", "withdrawn")


class WishView(Frozen):
    wish_id: Identifier
    county: County
    area: AreaCode
    resident_id: Identifier
    title: Sealed
    details: Sealed = ""
    created_by: Actor
    created_at: AwareDatetime
    seq: int = Field(0, description="Place in the county's wishes")
    status: WishStatus = "open"
    claimer: Identifier | None = Field(None, description="The volunteer holding the claim "
                                       "(claimed or done)")
    claimed_at: AwareDatetime | None = None
    claims: int = Field(0, description="How often it was claimed: names each claim, so a "
                        "lapse fires once per claim")
    note: Sealed = ""
    hours: Hours | None = None
    done_at: AwareDatetime | None = None
    fulfilled_at: AwareDatetime | None = None
    confirmed_by: Actor | None = None
    withdrawn_at: AwareDatetime | None = None


class WishCommand(Command):
    county: County
    wish_id: Identifier

    @property
    def partition_key(self) -> str:
        return self.county


class PostWish(WishCommand):
    type: Literal["PostWish"] = "PostWish"
    area: AreaCode
    resident_id: Identifier
    title: Sealed = Field(min_length=1)
    details: Sealed = ""


class ClaimWish(WishCommand):
    type: Literal["ClaimWish"] = "ClaimWish"
    volunteer_id: Identifier


class ReleaseClaim(WishCommand):
    """From the claimer, or from the lapse timer (`lapsed`, naming the claim it ends)."""

    type: Literal["ReleaseClaim"] = "ReleaseClaim"
    volunteer_id: Identifier
    lapsed: bool = False
    claim: int | None = Field(None, description="The claim a lapse ends (its number)")


class FulfilWish(WishCommand):
    type: Literal["FulfilWish"] = "FulfilWish"
    volunteer_id: Identifier
    note: Sealed = ""
    hours: Hours | None = None


class ConfirmWish(WishCommand):
    type: Literal["ConfirmWish"] = "ConfirmWish"


class WithdrawWish(WishCommand):
    type: Literal["WithdrawWish"] = "WithdrawWish"


class WishEvent(Event):
    county: County
    wish_id: Identifier

    @property
    def partition_key(self) -> str:
        return self.county


class WishPosted(WishEvent):
    type: Literal["WishPosted"] = "WishPosted"
    area: AreaCode
    resident_id: Identifier
    title: Sealed
    details: Sealed = ""


class WishClaimed(WishEvent):
    type: Literal["WishClaimed"] = "WishClaimed"
    volunteer_id: Identifier


class ClaimReleased(WishEvent):
    type: Literal["ClaimReleased"] = "ClaimReleased"
    volunteer_id: Identifier
    lapsed: bool = False


class WishDone(WishEvent):
    type: Literal["WishDone"] = "WishDone"
    volunteer_id: Identifier
    note: Sealed = ""
    hours: Hours | None = None


class WishFulfilled(WishEvent):
    type: Literal["WishFulfilled"] = "WishFulfilled"
    volunteer_id: Identifier
    hours: Hours | None = None


class WishWithdrawn(WishEvent):
    type: Literal["WishWithdrawn"] = "WishWithdrawn"


AnyWishCommand = Annotated[
    PostWish | ClaimWish | ReleaseClaim | FulfilWish | ConfirmWish | WithdrawWish,
    Field(discriminator="type")]
AnyWishEvent = Annotated[
    WishPosted | WishClaimed | ClaimReleased | WishDone | WishFulfilled | WishWithdrawn,
    Field(discriminator="type")]
