"""The certificates owner: each county's issued certificates, by serial, ranked under the
volunteer they attest so a volunteer's certificates are a page of a ranking."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from schemas.base import Command, Event
from schemas.certificates import (
    CertificateCommand,
    CertificateEvent,
    CertificateIssued,
    CertificateRevoked,
    CertificateView,
    IssueCertificate,
    RevokeCertificate,
)
from schemas.decision import Decision, Stamp
from schemas.records import HeldStates, Journal, Ranking, Records
from schemas.topics import CERTIFICATE

CERTIFICATES = "certificates"


def certificates_of(volunteer_id: str) -> str:
    return f"certificates:volunteer:{volunteer_id}"


class CertificatesState:
    def __init__(self) -> None:
        self.certificates: Records[CertificateView] = Records()
        self.ranks = Ranking()

    def collections(self) -> dict[str, Records[Any]]:
        return {CERTIFICATES: self.certificates}

    def journals(self) -> dict[str, Journal[Any]]:
        return {}

    def ranking(self) -> Ranking:
        return self.ranks

    def restore(self, rows: dict[str, dict[str, Any]]) -> None:
        for key, certificate in rows.get(CERTIFICATES, {}).items():
            self.certificates.load(key, certificate)

    def evolve(self, event: Event) -> None:
        if isinstance(event, CertificateIssued):
            certificate = event.certificate.model_copy(
                update={"seq": len(self.certificates) + 1})
            self.ranks.rank(certificates_of(certificate.volunteer_id), certificate.serial,
                            certificate.issued_at.timestamp())
        elif isinstance(event, CertificateRevoked):
            certificate = self.certificates[event.serial].model_copy(update={
                "revoked_at": event.occurred_at, "revoke_reason": event.reason})
        else:
            return
        self.certificates.put(certificate.serial, certificate)


def decide_certificate(state: CertificatesState, command: Command, now: datetime) -> Decision:
    stamp = Stamp(command, now)
    if isinstance(command, IssueCertificate):
        if command.serial in state.certificates:
            return stamp.rejected("conflict", "serial_exists", "this serial is taken")
        fields = command.model_dump(include={
            "serial", "volunteer_id", "area", "issuer", "period_from", "period_to", "hours",
            "verified_hours", "star_level", "entry_ids"})
        event: Event = stamp.event(CertificateIssued, county=command.county,
                                   certificate=CertificateView(**fields, issued_at=now,
                                                               issued_by=command.actor))
    else:
        assert isinstance(command, RevokeCertificate)
        found = state.certificates.get(command.serial)
        if found is None:
            return stamp.rejected("not_found", "not_found", "no such certificate")
        if found.revoked_at is not None:
            return stamp.rejected("conflict", "already_revoked",
                                  "this certificate was revoked already")
        event = stamp.event(CertificateRevoked, county=command.county, serial=command.serial,
                            reason=command.reason)
    state.evolve(event)
    after = state.certificates[command.serial]
    return stamp.accepted([event], certificate=after.model_dump(mode="json",
                                                                exclude={"entry_ids", "seq"}))


class CertificatesOwner(HeldStates[CertificatesState]):
    name = "certificates"
    family = CERTIFICATE

    def __init__(self) -> None:
        super().__init__(CertificatesState)

    def decide(self, command: Command, now: datetime) -> Decision:
        assert isinstance(command, CertificateCommand)
        return decide_certificate(self.state_of(command.county), command, now)

    def evolve(self, event: Event) -> None:
        assert isinstance(event, CertificateEvent)
        self.state_of(event.county).evolve(event)

    def timers(self, now: datetime) -> list[Command]:
        return []
