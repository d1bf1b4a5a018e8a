"""Certificates of service (DESIGN §10, 民政部令第67号: 谁记录谁证明): what an office attests of a
volunteer's hours, kept by the county that issued it so anyone can verify a serial.

A serial names its county and year, so a look-up goes straight to its owner. The certificate
keeps the totals it attests and the ids of the entries behind them: the PDF is drawn from
those, and stays what it was at issue whatever is corrected later.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from schemas.base import Actor, Command, Event, Frozen
from schemas.common import AreaCode, Identifier

County = Annotated[str, Field(pattern=r"^[0-9]{6}$")]
Serial = Annotated[str, Field(pattern=r"^[0-9]{6}-[0-9]{4}-[2-9A-HJKMNP-Z]{8}$",
                              description="COUNTY-YEAR-XXXXXXXX, e.g. 430511-2026-7KQ2M9XD")]
CERTIFICATE_ENTRIES_MAX = 5000
"""Entries one certificate attests at most (a volunteer's whole record, in practice)."""


class CertificateView(Frozen):
    serial: Serial
    volunteer_id: Identifier
    area: AreaCode = Field(description="Where the volunteer's team is based (staff's scope)")
    issuer: Annotated[str, Field(max_length=200)]
    issued_at: AwareDatetime
    issued_by: Actor
    period_from: date | None = None
    period_to: date
    hours: float
    verified_hours: float
    star_level: int = Field(ge=0, le=5)
    entry_ids: tuple[UUID, ...] = Field(max_length=CERTIFICATE_ENTRIES_MAX)
    revoked_at: AwareDatetime | None = None
    revoke_reason: str | None = None
    seq: int = Field(0, description="Place in the county's certificates, for paging")


class CertificateCommand(Command):
    county: County

    @property
    def partition_key(self) -> str:
        return self.county


class IssueCertificate(CertificateCommand):
    type: Literal["IssueCertificate"] = "IssueCertificate"
    serial: Serial
    volunteer_id: Identifier
    area: AreaCode
    issuer: Annotated[str, Field(min_length=1, max_length=200)]
    period_from: date | None = None
    period_to: date
    hours: float = Field(ge=0)
    verified_hours: float = Field(ge=0)
    star_level: int = Field(ge=0, le=5)
    entry_ids: tuple[UUID, ...] = Field(max_length=CERTIFICATE_ENTRIES_MAX)


class RevokeCertificate(CertificateCommand):
    type: Literal["RevokeCertificate"] = "RevokeCertificate"
    serial: Serial
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class CertificateEvent(Event):
    county: County

    @property
    def partition_key(self) -> str:
        return self.county


class CertificateIssued(CertificateEvent):
    type: Literal["CertificateIssued"] = "CertificateIssued"
    certificate: CertificateView


class CertificateRevoked(CertificateEvent):
    type: Literal["CertificateRevoked"] = "CertificateRevoked"
    serial: Serial
    reason: str


AnyCertificateCommand = Annotated[IssueCertificate | RevokeCertificate,
                                  Field(discriminator="type")]
AnyCertificateEvent = Annotated[CertificateIssued | CertificateRevoked,
                                Field(discriminator="type")]
