"""Configuration from the environment, with a unit in every limit's name."""

from __future__ import annotations

import os
import secrets
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from accounts.rules import AccountPolicy
from activities.rules import ActivityPolicy
from care.rules import CarePolicy
from cases.rules import CasePolicy
from consumers.ledger.rules import PointsPolicy
from dispatcher.policy import DispatchPolicy
from flags.rules import FlagLimits
from gateway.auth import KeyRing
from schemas.cases import CaseKind
from wishes.rules import WishPolicy

ENV_PREFIX = "VD_"
CAP_PREFIX = "VD_HOURS_CAP_"


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: Literal["embedded", "kafka"] = "embedded"
    data_dir: Path = Path(".vd-data")
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    secret: str = ""
    signing_keys: str = Field("", description="KID:SECRET,KID:SECRET — the first signs tokens, "
                              "every one verifies; empty: one key, the platform's secret")
    kafka_bootstrap: str = "127.0.0.1:19092"
    redis_url: str = "redis://127.0.0.1:16379/0"
    namespace: str = Field("", pattern=r"^[a-z0-9-]{0,32}$",
                           description="Prefix of topics, consumer groups and Redis keys")
    produce_timeout_s: float = 5.0
    kafka_session_timeout_s: float = Field(15.0, ge=6.0,
                                           description="How soon a dead worker's partitions move")
    marker_ttl_s: int = 7 * 24 * 3600
    topic_replication: int = Field(0, ge=0, description="Replicas of each topic; 0: three "
                                   "where the cluster has three brokers, else one")
    topic_min_insync: int = Field(0, ge=0, description="min.insync.replicas of each topic; 0: "
                                  "two where topics have three replicas, else one")

    body_limit_bytes: int = 64 * 1024
    orders_per_hour_max: int = Field(10, ge=0, description="Orders one resident may place in "
                                     "an hour; 0: no limit (benchmarks and load tests)")
    outcome_wait_s: float = 5.0
    token_ttl_s: int = Field(30 * 24 * 3600, description="Lifetime of the tokens `vdispatch "
                             "token` and the demo mint (operators' and tests' tokens)")
    access_ttl_s: int = Field(15 * 60, ge=60, description="Lifetime of a signed-in access token")
    refresh_ttl_s: int = Field(30 * 24 * 3600, ge=600, description="A session's lifetime: its "
                               "refresh tokens rotate on each use until then")
    signin_code_ttl_s: int = Field(300, ge=30, description="How long a one-time code is good")
    signin_failures_max: int = Field(5, ge=0, description="Failed sign-ins per phone in 15 "
                                     "minutes before 429; 0: no limit")
    signin_per_address_max: int = Field(30, ge=0, description="Sign-in attempts per client "
                                        "address per minute; 0: no limit")
    codes_per_hour_max: int = Field(5, ge=0, description="Codes one phone may ask for in an "
                                    "hour (and one per 30 s); 0: no limit")
    code_failures_max: int = Field(5, ge=1, description="Wrong guesses that void a code")
    sessions_max: int = Field(10, ge=1, description="Open sessions per account; the oldest "
                              "is signed out beyond it")
    revocation_cache_s: float = Field(1.0, ge=0, description="How long a gateway trusts that "
                                      "a session is still open before it asks again")
    outbox_sender: Literal["console", "webhook"] = "console"
    outbox_webhook_url: str = ""
    outbox_retries_max: int = Field(8, ge=0, description="Tries of a message the sender "
                                    "refused, with backoff, before it is set aside")
    notice_fresh_s: float = Field(600, gt=0, description="A notice of an event older than "
                                  "this is not texted (the in-app inbox has it)")
    page_size_max: int = 200
    roster_scan_max: int = Field(2000, ge=1, description="Volunteers one search of the "
                                 "volunteer list (`?q=`) reads at most before it answers "
                                 "with the matches so far and a cursor")
    batch_size_max: int = 500
    worker_slice_max: int = Field(100, ge=1, description="Messages an embedded worker handles "
                                  "before the event loop serves calls again (an owner commits "
                                  "once per slice)")
    worker_retries_max: int = 3
    timer_tick_s: float = 1.0
    live_recent_max: int = 50
    live_closed_window_s: float = Field(24 * 3600, gt=0, description="How long the live "
                                        "board keeps a closed request (its counts stay)")
    live_coalesce_s: float = 0.5
    notifications_max: int = 100
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "FULL"
    log_max_bytes: int = Field(0, ge=0, description="The embedded log takes no write that "
                               "would grow it past this size (503 instead); 0: no limit but "
                               "the disk's")
    log_headroom_bytes: int = Field(1 << 20, ge=0, description="After a refused write the "
                                    "embedded log is healthy again once this much more fits")

    review_required: bool = False
    accept_window_s: int = 30 * 60
    accept_window_urgent_s: int = 10 * 60
    accept_remind_before_s: int = Field(10 * 60, ge=0, description="The team is reminded "
                                        "this long before its accept deadline (at most half "
                                        "the window in); 0: no reminder")
    complete_window_s: int = 24 * 3600
    complete_window_urgent_s: int = 4 * 3600
    wait_window_s: int = 60 * 60
    wait_window_urgent_s: int = 15 * 60
    accept_window_tier1_s: int = Field(15 * 60, ge=0, description="The longest accept "
                                       "window of a tier-1 resident's request (the most "
                                       "vulnerable, DESIGN §11); 0: as any request's")
    accept_window_tier2_s: int = Field(20 * 60, ge=0, description="Likewise for tier 2")
    accept_window_tier3_s: int = Field(0, ge=0, description="Likewise for tier 3 (0: none, "
                                       "as before tiers)")
    complete_window_tier1_s: int = Field(12 * 3600, ge=0, description="The longest service "
                                         "window of a tier-1 request; 0: as any request's")
    complete_window_tier2_s: int = Field(18 * 3600, ge=0)
    complete_window_tier3_s: int = Field(0, ge=0)
    wait_window_tier1_s: int = Field(30 * 60, ge=0, description="How long a tier-1 request "
                                     "waits for a free team at most before staff get it")
    wait_window_tier2_s: int = Field(45 * 60, ge=0)
    wait_window_tier3_s: int = Field(0, ge=0)
    confirm_window_s: int = 72 * 3600
    max_refusals: int = 3
    points_per_hour: float = Field(1.0, gt=0)
    points_rounding: Literal["half_up", "floor", "ceil"] = "half_up"
    redeem_code_ttl_s: int = 10 * 60
    hours_step: float = Field(0.5, gt=0, le=24, description="Credited hours are rounded "
                              "down to a multiple of this many hours")
    activity_min_share: float = Field(0.6, ge=0, le=1, description="Below this share of an "
                                      "activity's scheduled length a volunteer gets no hours")
    activity_autoclose_s: int = Field(7200, ge=0, description="An activity still open this "
                                      "long after its end closes by itself")
    activity_late_checkout_grace_s: int = Field(30 * 60, ge=0, description="A check-out "
                                                "later than an activity's end by more than "
                                                "this is flagged late_checkout")
    wish_claims_max: int = Field(3, ge=1, description="Open claims of micro-wishes one "
                                 "volunteer holds at most")
    wish_claim_window_s: int = Field(14 * 86400, ge=1, description="A claim of a wish not "
                                     "marked done within this is released by itself")
    household_code_ttl_s: int = Field(90 * 86400, ge=60, description="How long a "
                                      "household's printed redeem code stays valid")
    case_days_stalled: int = Field(3, ge=1, le=60, description="Working days to the "
                                   "deadline of a case opened by an escalated request")
    case_days_missed_visit: int = Field(3, ge=1, le=60, description="... of a missed visit")
    case_days_dispute: int = Field(5, ge=1, le=60, description="... of a disputed service")
    case_days_complaint: int = Field(5, ge=1, le=60, description="... of a complaint")
    case_days_other: int = Field(10, ge=1, le=60, description="... of any other case")
    holidays: str = Field("", pattern=r"^(\d{4}-\d{2}-\d{2}(,\d{4}-\d{2}-\d{2})*)?$",
                          description="Days that are not working days, comma-separated "
                          "(YYYY-MM-DD): case deadlines skip them as they skip weekends")
    case_deadline_s: int | None = Field(None, ge=1, description="When set, every case "
                                        "deadline is this many seconds (drills and tests)")
    care_period_s: int | None = Field(None, ge=1, description="When set, every care plan's "
                                      "period is this many seconds (drills and tests)")
    civic_sheet_max: int = Field(500, ge=1, le=5000, description="Households one scoring "
                                 "sheet shows at most")
    hours_caps: dict[str, float] = Field(default_factory=dict, description="Hours per "
                                         "volunteer per service, by service type: "
                                         "VD_HOURS_CAP_<TYPE> (e.g. VD_HOURS_CAP_GROCERIES=2);"
                                         " none beyond 24 by default")
    cjk_font: str = Field("", description="A TrueType CJK font for certificates; empty: "
                          "the one the Debian package fonts-wqy-microhei installs")
    public_url: str = Field("", description="The platform's public address, for the QR "
                            "code on certificates (e.g. https://wm.example.gov.cn); empty: "
                            "the address each call came to")
    verify_per_address_max: int = Field(60, ge=0, description="Certificate verifications "
                                        "per client address per minute; 0: no limit")
    service_code_tries_per_hour: int = Field(30, ge=0, description="Check-ins and check-outs "
                                             "of one request in an hour; 0: no limit")
    hours_per_day_max: float = Field(12.0, gt=0, description="Hours of one volunteer in one "
                                     "day (China time) beyond which a credit is flagged")
    same_pair_per_month_max: int = Field(8, ge=1, description="Services of one volunteer for "
                                         "one resident in a month beyond which a credit is "
                                         "flagged")

    @field_validator("holidays")
    @classmethod
    def _dates(cls, value: str) -> str:
        for day in value.split(","):
            if day:
                date.fromisoformat(day)
        return value

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        """Every field can be set as VD_<FIELD> (VD_PORT, VD_DATA_DIR, VD_SECRET ...)."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name in cls.model_fields:
            raw = env.get(ENV_PREFIX + name.upper())
            if raw is not None and raw != "":
                values[name] = raw
        caps = {name.removeprefix(CAP_PREFIX).lower(): raw for name, raw in env.items()
                if name.startswith(CAP_PREFIX) and raw != ""}
        if caps:
            values["hours_caps"] = caps
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate(values)

    def topic_name(self, name: str) -> str:
        return f"{self.namespace}.{name}" if self.namespace else name

    def group_id(self, role: str) -> str:
        return f"{self.namespace or 'vdispatch'}-{role}"

    def dispatch_policy(self) -> DispatchPolicy:
        return DispatchPolicy(
            accept_window_s=self.accept_window_s,
            accept_window_urgent_s=self.accept_window_urgent_s,
            complete_window_s=self.complete_window_s,
            complete_window_urgent_s=self.complete_window_urgent_s,
            wait_window_s=self.wait_window_s,
            wait_window_urgent_s=self.wait_window_urgent_s,
            accept_window_tiers_s=(self.accept_window_tier1_s, self.accept_window_tier2_s,
                                   self.accept_window_tier3_s),
            complete_window_tiers_s=(self.complete_window_tier1_s,
                                     self.complete_window_tier2_s,
                                     self.complete_window_tier3_s),
            wait_window_tiers_s=(self.wait_window_tier1_s, self.wait_window_tier2_s,
                                 self.wait_window_tier3_s),
            confirm_window_s=self.confirm_window_s,
            max_refusals=self.max_refusals,
            review_required=self.review_required,
            accept_remind_before_s=self.accept_remind_before_s,
            hours_step=self.hours_step,
            hours_caps=tuple(sorted(self.hours_caps.items())),
        )

    def points_policy(self) -> PointsPolicy:
        return PointsPolicy(
            points_per_hour=self.points_per_hour,
            rounding=self.points_rounding,
            redeem_code_ttl_s=self.redeem_code_ttl_s,
            flags=FlagLimits(hours_per_day_max=self.hours_per_day_max,
                             same_pair_per_month_max=self.same_pair_per_month_max),
        )

    def activity_policy(self) -> ActivityPolicy:
        return ActivityPolicy(hours_step=self.hours_step, min_share=self.activity_min_share,
                              late_checkout_grace_s=self.activity_late_checkout_grace_s,
                              autoclose_s=self.activity_autoclose_s)

    def wish_policy(self) -> WishPolicy:
        return WishPolicy(claims_max=self.wish_claims_max,
                          claim_window_s=self.wish_claim_window_s)

    def case_policy(self) -> CasePolicy:
        days: tuple[tuple[CaseKind, int], ...] = (
            ("stalled", self.case_days_stalled), ("missed_visit", self.case_days_missed_visit),
            ("dispute", self.case_days_dispute), ("complaint", self.case_days_complaint),
            ("other", self.case_days_other))
        holidays = frozenset(date.fromisoformat(d) for d in self.holidays.split(",") if d)
        return CasePolicy(days=days, holidays=holidays, deadline_s=self.case_deadline_s)

    def care_policy(self) -> CarePolicy:
        return CarePolicy(period_s=self.care_period_s)

    def account_policy(self) -> AccountPolicy:
        return AccountPolicy(code_failures_max=self.code_failures_max,
                             sessions_max=self.sessions_max)

    def key_ring(self) -> KeyRing:
        if self.signing_keys:
            return KeyRing.parse(self.signing_keys)
        return KeyRing.single(self.signing_secret())

    def signing_secret(self) -> str:
        """VD_SECRET, or a secret kept in the data dir so tokens outlive a restart."""
        if self.secret:
            return self.secret
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text().strip()
