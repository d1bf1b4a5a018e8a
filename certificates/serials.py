"""Certificate serials `COUNTY-YEAR-XXXXXXXX` (DESIGN §10): the county and year stay readable for
whoever holds the paper, and eight random characters make the serial unguessable.

The random part is drawn with `secrets` from an alphabet without 0/O, 1/I/L, so a serial read
aloud or copied by hand from a printed certificate comes back right.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

SERIAL_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""31 characters: digits and capitals, without those that look like one another."""

RANDOM_LENGTH = 8
"""31**8 ≈ 8.5e11 serials per county and year: guessing a valid one is hopeless."""

SERIAL_PATTERN = re.compile(
    rf"(?P<county>\d{{6}})-(?P<year>\d{{4}})-(?P<random>[{SERIAL_ALPHABET}]{{{RANDOM_LENGTH}}})"
)


@dataclass(frozen=True)
class SerialParts:
    """What a serial says about itself: the issuing county, the year of issue, and its token."""

    county: str
    year: int
    random: str


def new_serial(county: str, year: int) -> str:
    """A fresh serial for a certificate issued in `county` (six-digit code) in `year`."""
    if not re.fullmatch(r"\d{6}", county):
        raise ValueError(f"county must be a six-digit area code, not {county!r}")
    if not 1000 <= year <= 9999:
        raise ValueError(f"year must have four digits, not {year}")
    token = "".join(secrets.choice(SERIAL_ALPHABET) for _ in range(RANDOM_LENGTH))
    return f"{county}-{year}-{token}"


def parse_serial(text: str) -> SerialParts | None:
    """The parts of a well-formed serial, or None: the verify page answers 404 without a lookup."""
    match = SERIAL_PATTERN.fullmatch(text)
    if match is None:
        return None
    return SerialParts(
        county=match["county"], year=int(match["year"]), random=match["random"]
    )
