"""What every benchmark section shares: the run's settings, the report it fills in, goals,
percentiles, the machine's description and the table."""

from __future__ import annotations

import math
import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

REPO = Path(__file__).resolve().parents[2]
UNLIMITED = {"VD_ORDERS_PER_HOUR_MAX": "0"}
"""Load is not abuse: benchmarks switch the limits on abuse off (DESIGN §9)."""


@dataclass(frozen=True)
class Goal:
    """`value op threshold` must hold, e.g. Goal(">=", 0.5)."""

    op: Literal[">=", "<=", "=="]
    threshold: float

    def met(self, value: float) -> bool:
        if self.op == ">=":
            return value >= self.threshold
        if self.op == "<=":
            return value <= self.threshold
        return value == self.threshold

    def __str__(self) -> str:
        shown = {">=": "≥", "<=": "≤", "==": "="}[self.op]
        return f"{shown} {self.threshold:g}"


@dataclass(frozen=True)
class Figure:
    key: str
    value: float
    unit: str = ""
    goal: Goal | None = None
    what: str = ""

    @property
    def met(self) -> bool | None:
        return None if self.goal is None else self.goal.met(self.value)


@dataclass(frozen=True)
class BenchConfig:
    full: bool
    seed: int
    workdir: Path

    def pick(self, quick: int, full: int) -> int:
        """A count sized for the quick run or the full one."""
        return full if self.full else quick


@dataclass
class Report:
    """The figures (the keys of bench-results.json) and each section's details."""

    figures: dict[str, Figure] = field(default_factory=dict)
    details: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    def add(self, key: str, value: float, unit: str = "", goal: Goal | None = None,
            what: str = "") -> None:
        self.figures[key] = Figure(key, float(value), unit, goal, what)

    def detail(self, section: str, **values: Any) -> None:
        self.details.setdefault(section, {}).update(values)

    def as_json(self, config: BenchConfig, seconds: float) -> dict[str, Any]:
        out: dict[str, Any] = {key: _plain(f.value) for key, f in self.figures.items()}
        out["goals"] = {key: {"goal": str(f.goal), "met": f.met}
                        for key, f in self.figures.items() if f.goal is not None}
        out["units"] = {key: f.unit for key, f in self.figures.items() if f.unit}
        out["details"] = self.details
        out["failures"] = self.failures
        out["run"] = {"mode": "full" if config.full else "quick", "seed": config.seed,
                      "seconds": round(seconds, 1), "machine": machine()}
        return out


def _plain(value: float) -> float | int:
    return int(value) if value.is_integer() and abs(value) < 2**53 else round(value, 4)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory_gib = round(pages / 2**30, 1)
    except (ValueError, OSError):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": memory_gib,
            "python": sys.version.split()[0], "system": platform.platform()}


def table(report: Report) -> str:
    rows = [("key", "value", "unit", "goal", "")]
    for f in report.figures.values():
        mark = "" if f.met is None else ("met" if f.met else "NOT MET")
        rows.append((f.key, f"{f.value:.4g}", f.unit, str(f.goal or "report"), mark))
    for section, why in report.failures.items():
        rows.append((section, "failed", "", "", why[:60]))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
