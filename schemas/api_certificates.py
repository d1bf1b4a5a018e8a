"""Bodies and answers of the certificate routes (DESIGN §10)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AwareDatetime, ConfigDict, Field, StringConstraints

from schemas.base import Frozen


class CertificateIn(Frozen):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    from_: date | None = Field(None, alias="from", description="First day attested")
    to: date | None = Field(None, description="Last day attested; default: today")


class CertificateIssuedOut(Frozen):
    serial: str
    pdf_url: str = Field(description="A path on the platform")


class CertificateOut(Frozen):
    serial: str
    volunteer_id: str
    pdf_url: str
    issuer: str
    issued_at: AwareDatetime
    period: dict[str, date | None] = Field(description="{from, to}")
    hours: float
    verified_hours: float
    star_level: int
    revoked_at: AwareDatetime | None = None
    revoke_reason: str | None = None


class CertificateListOut(Frozen):
    certificates: list[CertificateOut]


class RevokeIn(Frozen):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=500)]


class VerificationOut(Frozen):
    serial: str
    valid: bool
    holder_masked: str = Field(description="The name's first character, the rest masked")
    hours: float
    verified_hours: float
    period: dict[str, date | None] = Field(description="{from, to}; from is null for "
                                           "everything up to `to`")
    issuer: str
    issued_at: AwareDatetime
    revoked_at: AwareDatetime | None = None
