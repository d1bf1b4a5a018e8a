"""Whether a signed-in session is still open: an access token of a session that ended (a
sign-out, a reused refresh token, a password change) is refused at once, not at expiry."""

from __future__ import annotations

import time
from datetime import datetime

from gateway.auth import Principal
from gateway.ports import Views

SESSIONS_REMEMBERED = 10_000


class Revocations:
    """A session's state remembered for `ttl_s` per family: every call of a signed-in
    person would otherwise read their account."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._seen: dict[str, tuple[bool, float]] = {}

    async def is_open(self, views: Views, principal: Principal, now: datetime) -> bool:
        family = principal.family
        if family is None:
            return True
        clock = time.monotonic()
        seen = self._seen.get(family)
        if seen is not None and clock - seen[1] < self.ttl_s:
            return seen[0]
        account = await views.person_account(account_of_family(family))
        session = account.session(family) if account is not None else None
        is_open = (session is not None and session.subject == principal.subject
                   and session.expires_at > now)
        if len(self._seen) >= SESSIONS_REMEMBERED:
            self._seen.clear()
        self._seen[family] = (is_open, clock)
        return is_open

    def forget(self, family: str) -> None:
        self._seen.pop(family, None)


def account_of_family(family: str) -> str:
    return family.partition(".")[0]
