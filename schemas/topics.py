"""The topic catalogue: every log, who owns it, how it is keyed, and how long it is kept.

In the scaled mode these are Kafka topics; in the embedded mode they are streams of one
SQLite log. Requests, the directory and the ledger are kept forever: they are the truth that
derived state is rebuilt from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import TypeAdapter

from schemas.accounts import AnyAccountCommand, AnyAccountEvent
from schemas.activities import AnyActivityCommand, AnyActivityEvent
from schemas.audit import AnyAuditCommand, AnyAuditEvent
from schemas.base import CommandOutcome, DeadLetter, LogMessage, PersonKey
from schemas.care import AnyCareCommand, AnyCareEvent
from schemas.cases import AnyCaseCommand, AnyCaseEvent
from schemas.certificates import AnyCertificateCommand, AnyCertificateEvent
from schemas.commands import DispatchCommand, LedgerCommand, StockCommand
from schemas.events import DispatchEvent, LedgerEvent, StockEvent
from schemas.flags import AnyFlagCommand, AnyFlagEvent
from schemas.households import AnyHouseholdCommand, AnyHouseholdEvent
from schemas.residents import AnyResidentCommand, AnyResidentEvent
from schemas.wishes import AnyWishCommand, AnyWishEvent

FOREVER_MS = -1
DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class Topic:
    name: str
    keyed_by: str
    partitions: int
    retention_ms: int
    cleanup_policy: Literal["delete", "compact"]
    adapter: TypeAdapter[Any]
    purpose: str
    configs: tuple[tuple[str, str], ...] = ()
    """Broker configuration beyond retention and cleanup (a compacted topic's lags)."""


DISPATCH_COMMANDS = Topic(
    "dispatch-commands", "county code", 12, 7 * DAY_MS, "delete",
    TypeAdapter(DispatchCommand), "commands for areas, teams, volunteers and requests",
)
DISPATCH_EVENTS = Topic(
    "dispatch-events", "county code", 12, FOREVER_MS, "delete",
    TypeAdapter(DispatchEvent), "the directory and every request's lifecycle",
)
LEDGER_COMMANDS = Topic(
    "ledger-commands", "volunteer id", 12, 7 * DAY_MS, "delete",
    TypeAdapter(LedgerCommand), "credits, redeem codes and redemptions",
)
LEDGER_EVENTS = Topic(
    "ledger-events", "volunteer id", 12, FOREVER_MS, "delete",
    TypeAdapter(LedgerEvent), "the points ledger",
)
STOCK_COMMANDS = Topic(
    "stock-commands", "catalog item id", 6, 7 * DAY_MS, "delete",
    TypeAdapter(StockCommand), "restocking and stock reservations",
)
STOCK_EVENTS = Topic(
    "stock-events", "catalog item id", 6, FOREVER_MS, "delete",
    TypeAdapter(StockEvent), "gift stock",
)
ACCOUNT_COMMANDS = Topic(
    "account-commands", "account id", 6, 7 * DAY_MS, "delete",
    TypeAdapter(AnyAccountCommand), "sign-up, sign-in codes, sessions and passwords",
)
ACCOUNT_EVENTS = Topic(
    "account-events", "account id", 6, FOREVER_MS, "delete",
    TypeAdapter(AnyAccountEvent), "people's accounts: roles, credentials and sessions "
    "(phones, names and codes sealed under the account's key)",
)
RESIDENT_COMMANDS = Topic(
    "resident-commands", "county code", 12, 7 * DAY_MS, "delete",
    TypeAdapter(AnyResidentCommand), "residents registered, changed and erased",
)
RESIDENT_EVENTS = Topic(
    "resident-events", "county code", 12, FOREVER_MS, "delete",
    TypeAdapter(AnyResidentEvent), "residents' profiles (name, phone and address sealed "
    "under each resident's key)",
)
AUDIT_COMMANDS = Topic(
    "audit-commands", "county code", 6, 7 * DAY_MS, "delete",
    TypeAdapter(AnyAuditCommand), "staff writes and reads of contact details, to record",
)
AUDIT_EVENTS = Topic(
    "audit-events", "county code", 6, FOREVER_MS, "delete",
    TypeAdapter(AnyAuditEvent), "the audit trail: who did what to which object, when",
)
ACTIVITY_COMMANDS = Topic(
    "activity-commands", "county code", 12, 7 * DAY_MS, "delete",
    TypeAdapter(AnyActivityCommand), "activities published, signed up for, attended and closed",
)
ACTIVITY_EVENTS = Topic(
    "activity-events", "county code", 12, FOREVER_MS, "delete",
    TypeAdapter(AnyActivityEvent), "activities: their sign-up books, check-ins and closes "
    "(the hours they credited)",
)
FLAG_COMMANDS = Topic(
    "flag-commands", "county code", 6, 7 * DAY_MS, "delete",
    TypeAdapter(AnyFlagCommand), "flags raised on held hours, and staff's decisions",
)
FLAG_EVENTS = Topic(
    "flag-events", "county code", 6, FOREVER_MS, "delete",
    TypeAdapter(AnyFlagEvent), "each county's list of flags on hours and their resolution",
)
CERTIFICATE_COMMANDS = Topic(
    "certificate-commands", "county code", 6, 7 * DAY_MS, "delete",
    TypeAdapter(AnyCertificateCommand), "certificates issued and revoked",
)
CERTIFICATE_EVENTS = Topic(
    "certificate-events", "county code", 6, FOREVER_MS, "delete",
    TypeAdapter(AnyCertificateEvent), "each county's certificates of service, by serial",
)
WISH_COMMANDS = Topic(
    "wish-commands", "county code", 12, 7 * DAY_MS, "delete",
    TypeAdapter(AnyWishCommand), "micro-wishes posted, claimed, released, done, confirmed "
    "and withdrawn",
)
WISH_EVENTS = Topic(
    "wish-events", "county code", 12, FOREVER_MS, "delete",
    TypeAdapter(AnyWishEvent), "each county's micro-wishes and their claims (title and "
    "details sealed under the resident's key)",
)
HOUSEHOLD_COMMANDS = Topic(
    "household-commands", "county code", 12, 7 * DAY_MS, "delete",
    TypeAdapter(AnyHouseholdCommand), "households registered, civic rules set, monthly "
    "scores and their corrections, redeem codes, supermarket goods and exchanges",
)
HOUSEHOLD_EVENTS = Topic(
    "household-events", "county code", 12, FOREVER_MS, "delete",
    TypeAdapter(AnyHouseholdEvent), "each county's households and their civic points "
    "(names and reasons sealed under the household's key), rules and supermarket stock",
)
CASE_COMMANDS = Topic(
    "case-commands", "county code", 12, 7 * DAY_MS, "delete",
    TypeAdapter(AnyCaseCommand), "cases opened (by residents, staff and the platform), their "
    "steps, closings and passed deadlines, and the counties' offices",
)
CASE_EVENTS = Topic(
    "case-events", "county code", 12, FOREVER_MS, "delete",
    TypeAdapter(AnyCaseEvent), "each county's cases of the \"can't get it done\" window "
    "(words sealed under the resident's key) and its offices",
)
CARE_COMMANDS = Topic(
    "care-commands", "county code", 12, 7 * DAY_MS, "delete",
    TypeAdapter(AnyCareCommand), "care plans made and ended, their periods turned and their "
    "visits' requests completed",
)
CARE_EVENTS = Topic(
    "care-events", "county code", 12, FOREVER_MS, "delete",
    TypeAdapter(AnyCareEvent), "each county's care plans and their visits, planned, done and "
    "missed (notes sealed under the resident's key)",
)
COMMAND_OUTCOMES = Topic(
    "command-outcomes", "command id", 6, 7 * DAY_MS, "delete",
    TypeAdapter(CommandOutcome), "each owner's answer to a command, for waiting gateways",
)

HOUR_MS = 3600 * 1000
PERSON_KEYS = Topic(
    "person-keys", "person id", 6, FOREVER_MS, "compact", TypeAdapter(PersonKey),
    "each person's data key (the scaled mode's durable copy of Redis's); a tombstone (a null "
    "value) erases it, and compaction removes the key from the topic within a day",
    configs=(("min.compaction.lag.ms", "0"), ("max.compaction.lag.ms", str(DAY_MS)),
             ("segment.ms", str(HOUR_MS)), ("delete.retention.ms", str(HOUR_MS)),
             ("min.cleanable.dirty.ratio", "0.01")),
)

DEAD_LETTERS = Topic(
    "dead-letters", "consumer", 1, FOREVER_MS, "delete",
    TypeAdapter(DeadLetter), "messages a worker could not handle, with the reason",
)

CATALOGUE: tuple[Topic, ...] = (
    DISPATCH_COMMANDS,
    DISPATCH_EVENTS,
    LEDGER_COMMANDS,
    LEDGER_EVENTS,
    STOCK_COMMANDS,
    STOCK_EVENTS,
    ACCOUNT_COMMANDS,
    ACCOUNT_EVENTS,
    RESIDENT_COMMANDS,
    RESIDENT_EVENTS,
    AUDIT_COMMANDS,
    AUDIT_EVENTS,
    ACTIVITY_COMMANDS,
    ACTIVITY_EVENTS,
    FLAG_COMMANDS,
    FLAG_EVENTS,
    CERTIFICATE_COMMANDS,
    CERTIFICATE_EVENTS,
    WISH_COMMANDS,
    WISH_EVENTS,
    HOUSEHOLD_COMMANDS,
    HOUSEHOLD_EVENTS,
    CASE_COMMANDS,
    CASE_EVENTS,
    CARE_COMMANDS,
    CARE_EVENTS,
    COMMAND_OUTCOMES,
    DEAD_LETTERS,
    PERSON_KEYS,
)
BY_NAME = {t.name: t for t in CATALOGUE}


@dataclass(frozen=True)
class Family:
    """A kind of aggregate: one owner decides its commands, one key names each aggregate,
    and everything one aggregate changes in one step is stored under one tag."""

    name: str
    tag_letter: str
    command_topic: Topic
    event_topic: Topic
    listed: bool
    """Its keys are kept in a registry (few enough to list them all: counties, gifts)."""
    on_board: bool = True
    """Its events are folded by the live board and the inboxes (not accounts' or the audit
    trail's: they say nothing about the flow of requests or the programmes)."""

    def tag(self, key: str) -> str:
        """The aggregate's storage tag: a Redis Cluster hash tag, so one step is one slot."""
        return f"{{{self.tag_letter}:{key}}}"


COUNTY = Family("county", "c", DISPATCH_COMMANDS, DISPATCH_EVENTS, listed=True)
VOLUNTEER = Family("volunteer", "v", LEDGER_COMMANDS, LEDGER_EVENTS, listed=False)
ITEM = Family("item", "i", STOCK_COMMANDS, STOCK_EVENTS, listed=True)
PERSON = Family("person", "p", ACCOUNT_COMMANDS, ACCOUNT_EVENTS, listed=False,
                on_board=False)
AUDIT = Family("audit", "a", AUDIT_COMMANDS, AUDIT_EVENTS, listed=True, on_board=False)
RESIDENT = Family("resident", "r", RESIDENT_COMMANDS, RESIDENT_EVENTS, listed=True,
                  on_board=False)
ACTIVITY = Family("activity", "e", ACTIVITY_COMMANDS, ACTIVITY_EVENTS, listed=True,
                  on_board=False)
FLAG = Family("flag", "f", FLAG_COMMANDS, FLAG_EVENTS, listed=True)
CERTIFICATE = Family("certificate", "z", CERTIFICATE_COMMANDS, CERTIFICATE_EVENTS,
                     listed=True, on_board=False)
WISH = Family("wish", "w", WISH_COMMANDS, WISH_EVENTS, listed=True)
HOUSEHOLD = Family("household", "h", HOUSEHOLD_COMMANDS, HOUSEHOLD_EVENTS, listed=True,
                   on_board=False)
CASE = Family("case", "k", CASE_COMMANDS, CASE_EVENTS, listed=True)
CARE = Family("care", "g", CARE_COMMANDS, CARE_EVENTS, listed=True)
FAMILIES: tuple[Family, ...] = (COUNTY, VOLUNTEER, ITEM, PERSON, AUDIT, RESIDENT, ACTIVITY,
                                FLAG, CERTIFICATE, WISH, HOUSEHOLD, CASE, CARE)
ON_BOARD: tuple[Topic, ...] = tuple(f.event_topic for f in FAMILIES if f.on_board)


def topic_of(message: object) -> Topic:
    """The one topic a message belongs to, by its family."""
    from schemas import (
        accounts,
        activities,
        audit,
        care,
        cases,
        certificates,
        commands,
        events,
        flags,
        households,
        residents,
        wishes,
    )

    families: tuple[tuple[type, Topic], ...] = (
        (commands.CountyCommand, DISPATCH_COMMANDS),
        (events.CountyEvent, DISPATCH_EVENTS),
        (commands.VolunteerCommand, LEDGER_COMMANDS),
        (events.VolunteerEvent, LEDGER_EVENTS),
        (commands.ItemCommand, STOCK_COMMANDS),
        (events.ItemEvent, STOCK_EVENTS),
        (accounts.AccountCommand, ACCOUNT_COMMANDS),
        (accounts.AccountEvent, ACCOUNT_EVENTS),
        (residents.ResidentCommand, RESIDENT_COMMANDS),
        (residents.ResidentEvent, RESIDENT_EVENTS),
        (audit.RecordAudit, AUDIT_COMMANDS),
        (audit.AuditRecorded, AUDIT_EVENTS),
        (activities.ActivityCommand, ACTIVITY_COMMANDS),
        (activities.ActivityEvent, ACTIVITY_EVENTS),
        (flags.FlagCommand, FLAG_COMMANDS),
        (flags.FlagEvent, FLAG_EVENTS),
        (certificates.CertificateCommand, CERTIFICATE_COMMANDS),
        (certificates.CertificateEvent, CERTIFICATE_EVENTS),
        (wishes.WishCommand, WISH_COMMANDS),
        (wishes.WishEvent, WISH_EVENTS),
        (households.HouseholdCommand, HOUSEHOLD_COMMANDS),
        (households.HouseholdEvent, HOUSEHOLD_EVENTS),
        (cases.CaseCommand, CASE_COMMANDS),
        (cases.CaseEvent, CASE_EVENTS),
        (care.CareCommand, CARE_COMMANDS),
        (care.CareEvent, CARE_EVENTS),
        (CommandOutcome, COMMAND_OUTCOMES),
        (DeadLetter, DEAD_LETTERS),
    )
    for family, topic in families:
        if isinstance(message, family):
            return topic
    raise TypeError(f"no topic carries {type(message).__name__}")


def encode(message: LogMessage) -> bytes:
    return message.model_dump_json().encode()


def decode(topic: Topic, body: bytes | str) -> Any:
    """Validate a stored message against its topic's schema: data enters only this way."""
    return topic.adapter.validate_json(body)
