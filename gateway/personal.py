"""Personal data sealed under its person's key (DESIGN §9, crypto-shredding).

The gateway seals a person's fields (a resident's address, name, phone, the free text about
them) with AES-256-GCM under that person's key before they enter a command, so the log, the
topics and every store hold only sealed text; it opens them when a reader may see them. The
key lives in the key store (`gateway.ports.KeyStore`), never in a log kept forever; once it
is destroyed, every sealed copy, wherever it is, reads as `[已删除]`. The field's name and
its person are bound into each seal, so a sealed value cannot be moved to another field or
another person. A value without the seal's prefix was written before sealing began (a data
dir from an earlier version) and reads as it is.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gateway.ports import KeyStore

PREFIX = "pd1."
ERASED = "[已删除]"
"""What a sealed field reads as once its person's key is destroyed (English pages show
"[erased]")."""
NONCE_BYTES = 12


def is_sealed(value: str | None) -> bool:
    return value is not None and value.startswith(PREFIX)


def _aad(person: str, field: str) -> bytes:
    return f"{person}|{field}".encode()


def seal_with(key: bytes, person: str, field: str, value: str) -> str:
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, value.encode(), _aad(person, field))
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def open_with(key: bytes | None, person: str, field: str, value: str) -> str:
    if key is None:
        return ERASED
    raw = base64.urlsafe_b64decode(value[len(PREFIX):] + "=" * (-len(value) % 4))
    try:
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:],
                                   _aad(person, field)).decode()
    except (InvalidTag, ValueError):
        return ERASED


class Opened:
    """The keys of some persons, to open their fields (fetched once for a page of them)."""

    def __init__(self, keys: Mapping[str, bytes]) -> None:
        self.keys = keys

    def open(self, person: str, field: str, value: str | None) -> str | None:
        if not is_sealed(value):
            return value
        assert value is not None
        return open_with(self.keys.get(person), person, field, value)


class Sealer:
    def __init__(self, keys: KeyStore) -> None:
        self.keys = keys

    async def seal(self, person: str, fields: Mapping[str, str | None]
                   ) -> dict[str, str | None]:
        """Each non-empty field sealed under the person's key (made if it is the first)."""
        key = (await self.keys.keys_of([person], create=True))[person]
        return {name: value if not value else seal_with(key, person, name, value)
                for name, value in fields.items()}

    async def opened(self, persons: Iterable[str]) -> Opened:
        return Opened(await self.keys.keys_of(sorted(set(persons))))

    async def erase(self, person: str) -> bool:
        """Destroy the person's key: every field sealed under it is unreadable for good."""
        return await self.keys.destroy(person)
