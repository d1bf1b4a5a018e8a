"""People's accounts (DESIGN §9): commands, events and the account row.

An account is keyed by an opaque id derived from its phone number with the platform's
secret (`gateway.accounts.account_id_for`), so the phone's owner decides uniqueness and a
sign-in finds the account without an index; the phone and name themselves travel sealed
under the account's own data key. Passwords are argon2id hashes, checked by the gateway
(hashing is slow on purpose and must not stall an owner); one-time codes and refresh
tokens travel and rest only as SHA-256 hashes of high-entropy secrets, and are decided by
the owner, so a code is used once and a refresh token rotates once however many gateways
race.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from schemas.base import Command, Event, Frozen
from schemas.common import AreaCode, Identifier, Role, Sealed

Digest = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256, hex")]
PasswordHash = Annotated[str, Field(pattern=r"^\$argon2id\$", max_length=200)]
Family = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$",
                              description="A refresh-token family: the account id, a dot, "
                                          "and a random part")]
SignInMethod = Literal["password", "code", "signup", "device"]
"""`signup`: the session a sign-up opens, right after its code was used."""


class Grant(Frozen):
    """One role an account holds: the subject it acts as, and a staff member's scope (a
    kiosk's area, for a kiosk)."""

    role: Role
    subject: Identifier
    scope: AreaCode | None = None


def contact_key(role: Role, subject: str) -> str:
    """The aggregate that says which account to text for a role's subject."""
    return f"{role.value}:{subject}"


class PendingCode(Frozen):
    code_hash: Digest
    expires_at: AwareDatetime
    failures: int = 0


class Session(Frozen):
    """A refresh-token family: the hash of its current token and of the ones it replaced
    (a replaced token presented again is a theft signal: the family is revoked)."""

    family: Family
    role: Role
    subject: Identifier
    scope: AreaCode | None = None
    current_hash: Digest
    replaced: tuple[Digest, ...] = ()
    started_at: AwareDatetime
    expires_at: AwareDatetime
    revoked: bool = False


class PersonAccount(Frozen):
    account_id: Identifier
    phone: Sealed | None = None
    name: Sealed | None = None
    grants: tuple[Grant, ...] = ()
    password_hash: PasswordHash | None = None
    password_one_time: bool = False
    code: PendingCode | None = None
    sessions: tuple[Session, ...] = ()
    opened_at: AwareDatetime | None = None
    closed: bool = False

    @property
    def opened(self) -> bool:
        return self.opened_at is not None and not self.closed

    def session(self, family: str) -> Session | None:
        return next((s for s in self.sessions if s.family == family), None)


# -- commands ---------------------------------------------------------------------------


class AccountCommand(Command):
    account_id: Identifier

    @property
    def partition_key(self) -> str:
        return self.account_id


class IssueCode(AccountCommand):
    """A one-time code for a phone (sign-in or sign-up), sent through the outbox."""

    type: Literal["IssueCode"] = "IssueCode"
    code_hash: Digest
    code: Sealed
    phone: Sealed
    expires_at: AwareDatetime


class OpenAccount(AccountCommand):
    """Create the account of a phone, or join it: the grant is added to what it holds.

    From a resident's sign-up (`code_hash` must match the phone's pending code), from
    staff registering someone, and from `vdispatch admin create-staff`.
    """

    type: Literal["OpenAccount"] = "OpenAccount"
    phone: Sealed | None = Field(None, description="None for a kiosk's account")
    name: Sealed
    grant: Grant
    code_hash: Digest | None = None
    password_hash: PasswordHash | None = None
    password_one_time: bool = False


class StartSession(AccountCommand):
    """A sign-in: a new refresh-token family. With a code the owner checks and uses it;
    with a password the gateway has checked it against `password_hash`."""

    type: Literal["StartSession"] = "StartSession"
    family: Family
    refresh_hash: Digest
    role: Role | None = None
    method: SignInMethod
    code_hash: Digest | None = None
    checked_password_hash: PasswordHash | None = None
    expires_at: AwareDatetime


class CloseAccount(AccountCommand):
    """A kiosk revoked (or an account shut): every session ends, no sign-in opens again."""

    type: Literal["CloseAccount"] = "CloseAccount"
    reason: Annotated[str, Field(max_length=200)] = ""


class LinkContact(AccountCommand):
    """Who to text for a role's subject (`account_id` here is `role:subject`): the account
    that holds the grant, or none once it no longer does. Sent by the accounts owner itself
    when a grant is given or an account closes, so notices find a leader's phone by their
    leader id."""

    type: Literal["LinkContact"] = "LinkContact"
    holder: Identifier | None


class RotateRefresh(AccountCommand):
    type: Literal["RotateRefresh"] = "RotateRefresh"
    family: Family
    presented_hash: Digest
    refresh_hash: Digest


class EndSession(AccountCommand):
    """Sign-out: the family whose current token is presented is revoked."""

    type: Literal["EndSession"] = "EndSession"
    family: Family
    presented_hash: Digest


class SetPassword(AccountCommand):
    type: Literal["SetPassword"] = "SetPassword"
    password_hash: PasswordHash
    checked_password_hash: PasswordHash | None = None
    """The hash the gateway checked the old password against: a change raced by another
    change is refused rather than applied over it."""
    keep_family: Family | None = None
    """The session that changed it stays signed in; every other one is signed out."""


AnyAccountCommand = Annotated[
    IssueCode | OpenAccount | StartSession | RotateRefresh | EndSession | SetPassword
    | CloseAccount | LinkContact,
    Field(discriminator="type"),
]


# -- events -----------------------------------------------------------------------------


class AccountEvent(Event):
    account_id: Identifier

    @property
    def partition_key(self) -> str:
        return self.account_id


class CodeIssued(AccountEvent):
    type: Literal["CodeIssued"] = "CodeIssued"
    code_hash: Digest
    code: Sealed
    phone: Sealed
    expires_at: AwareDatetime


class CodeFailed(AccountEvent):
    type: Literal["CodeFailed"] = "CodeFailed"
    code_hash: Digest


class CodeUsed(AccountEvent):
    type: Literal["CodeUsed"] = "CodeUsed"
    code_hash: Digest


class AccountOpened(AccountEvent):
    type: Literal["AccountOpened"] = "AccountOpened"
    phone: Sealed | None = None
    name: Sealed


class ContactLinked(AccountEvent):
    type: Literal["ContactLinked"] = "ContactLinked"
    holder: Identifier | None


class AccountClosed(AccountEvent):
    type: Literal["AccountClosed"] = "AccountClosed"
    reason: str = ""


class RoleGranted(AccountEvent):
    type: Literal["RoleGranted"] = "RoleGranted"
    grant: Grant


class PasswordSet(AccountEvent):
    type: Literal["PasswordSet"] = "PasswordSet"
    password_hash: PasswordHash
    one_time: bool = False


class SessionStarted(AccountEvent):
    type: Literal["SessionStarted"] = "SessionStarted"
    family: Family
    refresh_hash: Digest
    grant: Grant
    method: SignInMethod
    expires_at: AwareDatetime


class RefreshRotated(AccountEvent):
    type: Literal["RefreshRotated"] = "RefreshRotated"
    family: Family
    refresh_hash: Digest


class SessionRevoked(AccountEvent):
    type: Literal["SessionRevoked"] = "SessionRevoked"
    family: Family
    reason: Literal["sign_out", "reused", "password_changed", "replaced", "closed"]


AnyAccountEvent = Annotated[
    CodeIssued | CodeFailed | CodeUsed | AccountOpened | RoleGranted | PasswordSet
    | SessionStarted | RefreshRotated | SessionRevoked | AccountClosed | ContactLinked,
    Field(discriminator="type"),
]
