"""`python -m benchmarks [--full] [--only SECTION ...]`: run the sections, print the table, write
bench-results.json."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from benchmarks.common import REPO, BenchConfig, Report, table

# section -> module; each module has `async def run(config, report) -> None`
SECTIONS = {
    "matching": "benchmarks.matching",
    "api": "benchmarks.api",
    "embedded": "benchmarks.embedded",
    "kafka": "benchmarks.kafka",
    "rebuild": "benchmarks.rebuild",
    "memory": "benchmarks.memory",
    "live": "benchmarks.live",
}

Section = Callable[[BenchConfig, Report], Coroutine[Any, Any, None]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    parser.add_argument("--full", action="store_true", help="the long run (bigger counts)")
    parser.add_argument("--only", nargs="+", choices=sorted(SECTIONS), metavar="SECTION",
                        help=f"run only these sections ({', '.join(SECTIONS)})")
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--out", type=Path, default=REPO / "bench-results.json")
    args = parser.parse_args(argv)
    chosen = args.only or list(SECTIONS)
    report = Report()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="vd-bench-") as workdir:
        config = BenchConfig(full=args.full, seed=args.seed, workdir=Path(workdir))
        for name in chosen:
            print(f"== {name}", file=sys.stderr, flush=True)
            section_started = time.monotonic()
            try:
                run: Section = importlib.import_module(SECTIONS[name]).run
                asyncio.run(run(config, report))
            except Exception as error:  # one broken section must not hide the others' figures
                traceback.print_exc()
                report.failures[name] = f"{type(error).__name__}: {error}"
            report.detail(name, seconds=round(time.monotonic() - section_started, 1))
        results = report.as_json(config, time.monotonic() - started)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(table(report))
    print(f"\nwritten to {args.out.name} ({results['run']['seconds']} s)")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
