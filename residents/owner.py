"""The residents owner: each county's profiles, ranked by registration under every level of
their area, so a scope's list is a page of a ranking."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from schemas import residents as rs
from schemas.base import Command, Event
from schemas.common import ancestors, county_of
from schemas.decision import Decision, Stamp
from schemas.records import HeldStates, Journal, Ranking, Records
from schemas.residents import ResidentProfile
from schemas.topics import RESIDENT

PROFILES = "profiles"


def residents_in(area: str | None) -> str:
    """The ranking of the residents living in an area (a county, town, village, hamlet;
    None: in every county, each county's aggregate ranking its own)."""
    return f"residents:{area or 'all'}"


class ResidentsState:
    def __init__(self) -> None:
        self.profiles: Records[ResidentProfile] = Records()
        self.ranks = Ranking()

    def collections(self) -> dict[str, Records[Any]]:
        return {PROFILES: self.profiles}

    def journals(self) -> dict[str, Journal[Any]]:
        return {}

    def ranking(self) -> Ranking:
        return self.ranks

    def restore(self, rows: dict[str, dict[str, Any]]) -> None:
        for key, profile in rows.get(PROFILES, {}).items():
            self.profiles.load(key, profile)

    def evolve(self, event: Event) -> None:
        if isinstance(event, rs.ResidentRegistered):
            profile = ResidentProfile(
                resident_id=event.resident_id, county=event.county, area=event.area,
                name=event.name, phone=event.phone, address=event.address,
                birth_year=event.birth_year, tags=event.tags, registered_at=event.occurred_at,
                registered_by=event.actor, seq=len(self.profiles) + 1)
            self._rank(profile, None)
        elif isinstance(event, rs.ResidentChanged):
            before = self.profiles[event.resident_id]
            changed = {f: getattr(event, f) for f in rs.PROFILE_FIELDS
                       if getattr(event, f) is not None}
            profile = before.model_copy(update=changed | dict.fromkeys(event.cleared))
            self._rank(profile, before)
        elif isinstance(event, rs.ResidentErased):
            before = self.profiles[event.resident_id]
            profile = ResidentProfile(
                resident_id=before.resident_id, county=before.county, area=before.area,
                registered_at=before.registered_at, registered_by=before.registered_by,
                seq=before.seq, erased=True)
            for place in (None, *ancestors(before.area)):
                self.ranks.unrank(residents_in(place), before.resident_id)
        else:
            return
        self.profiles.put(profile.resident_id, profile)

    def _rank(self, profile: ResidentProfile, before: ResidentProfile | None) -> None:
        if before is not None:
            for place in (None, *ancestors(before.area)):
                self.ranks.unrank(residents_in(place), before.resident_id)
        for place in (None, *ancestors(profile.area)):
            self.ranks.rank(residents_in(place), profile.resident_id, profile.seq)


def decide_resident(state: ResidentsState, command: Command, now: datetime) -> Decision:
    stamp = Stamp(command, now)
    assert isinstance(command, rs.ResidentCommand)
    found = state.profiles.get(command.resident_id)
    if isinstance(command, rs.RegisterResident):
        if county_of(command.area) != command.county:
            return stamp.rejected("invalid", "area_outside_county",
                                  "the area is not in this county", field="area")
        if found is not None:
            if command.join and not found.erased:
                return stamp.accepted(resident_id=found.resident_id, joined=True)
            return stamp.rejected("conflict", "resident_exists",
                                  f"resident {command.resident_id} is already registered")
        event: Event = stamp.event(
            rs.ResidentRegistered, county=command.county, resident_id=command.resident_id,
            area=command.area, name=command.name, phone=command.phone,
            address=command.address, birth_year=command.birth_year, tags=command.tags)
    elif found is None or found.erased:
        return stamp.rejected("not_found", "not_found", "no such resident")
    elif isinstance(command, rs.ChangeResident):
        if command.area is not None and county_of(command.area) != command.county:
            return stamp.rejected("invalid", "area_outside_county", "a resident moves only "
                                  "within their county", field="area")
        fields = {f: getattr(command, f) for f in rs.PROFILE_FIELDS}
        event = stamp.event(rs.ResidentChanged, county=command.county,
                            resident_id=command.resident_id, cleared=command.cleared,
                            **fields)
    else:
        event = stamp.event(rs.ResidentErased, county=command.county,
                            resident_id=command.resident_id)
    state.evolve(event)
    return stamp.accepted([event], resident_id=command.resident_id)


class ResidentsOwner(HeldStates[ResidentsState]):
    name = "residents"
    family = RESIDENT

    def __init__(self) -> None:
        super().__init__(ResidentsState)

    def decide(self, command: Command, now: datetime) -> Decision:
        assert isinstance(command, rs.ResidentCommand)
        return decide_resident(self.state_of(command.county), command, now)

    def evolve(self, event: Event) -> None:
        assert isinstance(event, rs.ResidentEvent)
        self.state_of(event.county).evolve(event)

    def timers(self, now: datetime) -> list[Command]:
        return []
