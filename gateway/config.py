"""What the gateway is configured with; the runtime fills it from its settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from gateway.auth import KeyRing


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class GatewayConfig:
    secret: str
    """The platform's secret: keys the hashes of Idempotency-Keys and redeem codes."""
    mode: str = "embedded"
    body_limit_bytes: int = 64 * 1024
    outcome_wait_s: float = 5.0
    page_size_max: int = 200
    redeem_code_ttl_s: int = 600
    live_coalesce_s: float = 0.5
    orders_per_hour_max: int = 10
    """Orders one resident may place in an hour (0: no limit)."""
    roster_scan_max: int = 2000
    """Volunteers one search of the volunteer list reads at most (then it answers with a
    cursor to go on from)."""
    clock: Callable[[], datetime] = utcnow
    signing: KeyRing | None = None
    """The keys that sign and verify tokens; by default one key, the secret itself."""
    access_ttl_s: int = 15 * 60
    refresh_ttl_s: int = 30 * 24 * 3600
    signin_code_ttl_s: int = 300
    signin_failures_max: int = 5
    signin_per_address_max: int = 30
    codes_per_hour_max: int = 5
    revocation_cache_s: float = 1.0
    cjk_font: str = ""
    """The CJK TrueType font certificates embed (`VD_CJK_FONT`); empty: a system one."""
    public_url: str = ""
    """The platform's address as residents reach it (`VD_PUBLIC_URL`), for the QR code of
    a certificate's verification page; empty: the address the call came to."""
    verify_per_address_max: int = 60
    """Verifications of certificates per client address per minute (0: no limit)."""
    wish_claim_window_s: int = 14 * 86400
    """How long a wish's claim lasts unless marked done (`VD_WISH_CLAIM_WINDOW_S`): the
    owner releases it then; the gateway shows when."""
    household_code_ttl_s: int = 90 * 86400
    """How long a household's printed redeem code is valid (`VD_HOUSEHOLD_CODE_TTL_S`)."""
    civic_sheet_max: int = 500
    """Households one scoring sheet shows at most (`VD_CIVIC_SHEET_MAX`)."""
    service_code_tries_per_hour: int = 30
    """Check-ins and check-outs of one request in an hour (0: no limit): a six-digit code
    is not guessed by trying."""

    @property
    def keys(self) -> KeyRing:
        return self.signing or KeyRing.single(self.secret)
