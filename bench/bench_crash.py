"""The long crash run: 300 SIGKILLs of a real server while 4 tablets register.

    python -m bench.bench_crash [--kills 300] [--clients 4]

The same harness as tests/test_crash.py (50 kills there, in CI).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tests.crashkit import Registrations, run_crash


def main(quick: bool = False, argv: list[str] | None = None) -> dict:
    """Run the crash harness and print what it found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50 if quick else 300)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args(argv or [])
    began = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        report = run_crash(Registrations(), Path(tmp) / "data", args.kills, args.clients)
    starts = report.pop("starts")
    report.update(seconds=round(time.monotonic() - began, 1),
                  restart_s_median=round(statistics.median(starts), 2))  # fmt: skip
    print("crash:", report, flush=True)
    if report["problems"]:
        raise SystemExit(f"crash harness found {len(report['problems'])} problems")
    return report


if __name__ == "__main__":
    main(argv=sys.argv[1:])
