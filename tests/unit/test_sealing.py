"""Personal fields sealed under their person's key: a sealed field opens for its person and
field only (moved to another field or person it reads as erased, as tampered text does), an
empty field stays empty, a value from before sealing reads as it is, and once the key is
destroyed every sealed field reads `[已删除]`. How: the gateway's `Sealer` on the real SQLite
key store."""

from __future__ import annotations

from pathlib import Path

from gateway.personal import ERASED, Sealer, is_sealed
from runtime.sqlite_keys import SQLiteKeys


async def test_a_sealed_field_opens_for_its_person_and_field_only(tmp_path: Path) -> None:
    sealer = Sealer(SQLiteKeys(tmp_path / "keys.sqlite3"))
    sealed = await sealer.seal("R1", {"address": "资园社区3栋", "contact_phone": None,
                                      "details": ""})
    assert is_sealed(sealed["address"]) and "资园" not in str(sealed["address"])
    assert sealed["contact_phone"] is None and sealed["details"] == ""
    other = await sealer.seal("R2", {"address": "别处"})
    opened = await sealer.opened(["R1", "R2"])
    assert opened.open("R1", "address", sealed["address"]) == "资园社区3栋"
    assert opened.open("R1", "details", sealed["address"]) == ERASED, "moved to another field"
    assert opened.open("R2", "address", sealed["address"]) == ERASED, "moved to another person"
    assert opened.open("R2", "address", other["address"]) == "别处"
    tampered = str(sealed["address"])[:-4] + "AAAA"
    assert opened.open("R1", "address", tampered) == ERASED
    assert opened.open("R1", "address", "资园社区(before sealing)") == "资园社区(before sealing)"
    assert opened.open("R1", "address", None) is None


async def test_every_sealed_field_reads_erased_once_the_key_is_destroyed(
    tmp_path: Path
) -> None:
    sealer = Sealer(SQLiteKeys(tmp_path / "keys.sqlite3"))
    first = await sealer.seal("R1", {"address": "一号", "contact_name": "王阿姨"})
    second = await sealer.seal("R1", {"address": "二号"})
    assert await sealer.erase("R1") is True
    opened = await sealer.opened(["R1"])
    assert [opened.open("R1", f, v) for f, v in (*first.items(), *second.items())] == [
        ERASED] * 3
    assert await sealer.erase("R1") is False
