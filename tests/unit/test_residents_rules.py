"""The residents owner's rules: a resident is registered once per county (a sign-up joins
the profile there), changes only what it names and moves only within its county, and an
erased profile keeps only its id and area, leaves every list, and takes no more changes.
Property: whatever registrations, moves and erasures happen, each area's ranking holds
exactly the live residents living in it or below."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from residents.owner import ResidentsState, decide_resident, residents_in
from schemas import residents as rs
from schemas.base import Actor
from schemas.common import Role, ancestors
from schemas.decision import Decision

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
STAFF = Actor(role=Role.STAFF, subject="S1")
AREAS = ("430511001001", "430511001002", "430511002001", "430511001001001")


def env(resident_id: str) -> dict[str, Any]:
    command_id = uuid4()
    return {"command_id": command_id, "occurred_at": T0, "correlation_id": command_id,
            "actor": STAFF, "county": "430511", "resident_id": resident_id}


def register(state: ResidentsState, resident_id: str, area: str = AREAS[0],
             join: bool = False) -> Decision:
    return decide_resident(state, rs.RegisterResident(
        **env(resident_id), area=area, name="pd1.n", address="pd1.a", tags=(rs.Tag.LOW_INCOME,),
        join=join), T0)


def code(decision: Decision) -> str | None:
    assert decision.outcome is not None
    return None if decision.outcome.ok else decision.outcome.rejection.code  # type: ignore[union-attr]


class Ranked:
    """A state's rankings as a store would hold them: its changes drained and applied."""

    def __init__(self, state: ResidentsState) -> None:
        self.state = state
        self.indexes: dict[str, dict[str, float]] = {}

    def of(self, area: str) -> set[str]:
        for index, members in self.state.ranks.drain_changes().items():
            book = self.indexes.setdefault(index, {})
            for member, score in members.items():
                if score is None:
                    book.pop(member, None)
                else:
                    book[member] = score
        return set(self.indexes.get(residents_in(area), {}))


def test_a_resident_is_registered_once_and_a_sign_up_joins() -> None:
    state = ResidentsState()
    assert code(register(state, "R1")) is None
    assert code(register(state, "R1")) == "resident_exists"
    joined = register(state, "R1", join=True)
    assert code(joined) is None and joined.events == ()
    assert code(register(state, "R2", area="430502001")) == "area_outside_county"


def test_changes_name_only_what_they_change_and_stay_in_the_county() -> None:
    state = ResidentsState()
    register(state, "R1")
    moved = decide_resident(state, rs.ChangeResident(**env("R1"), area=AREAS[2],
                                                     cleared=("birth_year",)), T0)
    assert code(moved) is None
    profile = state.profiles["R1"]
    assert profile.area == AREAS[2] and profile.name == "pd1.n" and profile.tags == (
        rs.Tag.LOW_INCOME,)
    away = decide_resident(state, rs.ChangeResident(**env("R1"), area="430502001"), T0)
    assert code(away) == "area_outside_county"


def test_an_erased_profile_keeps_only_its_id_and_area() -> None:
    state = ResidentsState()
    register(state, "R1")
    assert code(decide_resident(state, rs.EraseResident(**env("R1")), T0)) is None
    profile = state.profiles["R1"]
    assert profile.erased and profile.name == "" and profile.phone is None and profile.tags == ()
    assert code(decide_resident(state, rs.ChangeResident(**env("R1"), name="pd1.x"), T0)) == (
        "not_found")
    assert "R1" not in Ranked(state).of("430511")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["register", "move", "erase"]),
                          st.integers(0, 4), st.sampled_from(AREAS)), max_size=25))
def test_each_area_ranks_exactly_its_live_residents(steps: list[tuple[str, int, str]]) -> None:
    state = ResidentsState()
    ranked = Ranked(state)
    for action, n, area in steps:
        resident_id = f"R{n}"
        if action == "register":
            register(state, resident_id, area)
        elif action == "move":
            decide_resident(state, rs.ChangeResident(**env(resident_id), area=area), T0)
        else:
            decide_resident(state, rs.EraseResident(**env(resident_id)), T0)
    live = [p for p in state.profiles.values() if not p.erased]
    for area in {a for code_ in AREAS for a in ancestors(code_)}:
        expected = {p.resident_id for p in live if p.area.startswith(area)}
        assert ranked.of(area) == expected
