"""Pure ledger rules: how hours become points, and which quarter a moment falls in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from flags.rules import FlagLimits

QUARTER_ZONE = ZoneInfo("Asia/Shanghai")
ROUNDING = {"half_up": ROUND_HALF_UP, "floor": ROUND_FLOOR, "ceil": ROUND_CEILING}


@dataclass(frozen=True)
class PointsPolicy:
    """1 hour of service = 1 point by default (每小时1积分)."""

    points_per_hour: float = 1.0
    rounding: Literal["half_up", "floor", "ceil"] = "half_up"
    redeem_code_ttl_s: int = 10 * 60
    flags: FlagLimits = field(default_factory=FlagLimits)

    def points_for(self, hours: float) -> int:
        raw = Decimal(str(hours)) * Decimal(str(self.points_per_hour))
        return int(raw.quantize(Decimal(1), rounding=ROUNDING[self.rounding]))


def quarter_of(moment: datetime) -> str:
    """The calendar quarter in China time: each volunteer may redeem once per quarter."""
    local = moment.astimezone(QUARTER_ZONE)
    return f"{local.year}Q{(local.month - 1) // 3 + 1}"


STAR_THRESHOLDS_H = (100, 300, 600, 1000, 1500)
"""Verified hours for one to five stars (一星 … 五星, DESIGN §10)."""


def star_level(verified_hours: float) -> int:
    """0 to 5: how many thresholds the verified hours have reached."""
    return sum(1 for threshold in STAR_THRESHOLDS_H if verified_hours >= threshold)
