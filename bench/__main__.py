"""Run every benchmark: ``python -m bench [--quick] [NAME...]`` (NAME: load, startup, ...).

``python -m bench --help`` says so and runs nothing.

Each ``bench/bench_<name>.py`` has a ``main()``; in quick mode it gets ``quick=True`` when it
accepts it (and FIELDREG_BENCH_QUICK=1 is set for those that read the environment instead).
One failing benchmark does not stop the others; the exit status says whether any failed.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def names() -> list[str]:
    """Return the benchmark names, in file order."""
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def run_one(name: str, quick: bool) -> bool:
    """Run one benchmark's main(); return whether it finished without an error."""
    module = importlib.import_module(f"bench.bench_{name}")
    params = inspect.signature(module.main).parameters
    began = time.monotonic()
    print(f"== bench {name}{' (quick)' if quick else ''}", flush=True)
    saved, sys.argv = sys.argv, [f"bench_{name}"]  # modules that parse sys.argv see no options
    try:
        module.main(quick=quick) if "quick" in params else module.main()
    except (Exception, SystemExit):
        traceback.print_exc()
        print(f"== bench {name} FAILED", flush=True)
        return False
    finally:
        sys.argv = saved
    print(f"== bench {name} done in {time.monotonic() - began:.0f} s", flush=True)
    return True


def usage() -> str:
    """Return the help text: how to call, and the benchmarks there are."""
    return (
        "usage: python -m bench [--quick] [NAME...]\n\n"
        "Run the benchmarks named (all of them when none is named); each prints its figures.\n"
        "  --quick     short runs (each benchmark's quick mode)\n"
        "  -h, --help  show this help and run nothing\n\n"
        f"benchmarks: {' '.join(names())}\n"
        "Each can also run alone: python -m bench.bench_NAME --help"
    )


def main() -> int:
    """Run the benchmarks named on the command line, or all of them."""
    args = sys.argv[1:]
    if "-h" in args or "--help" in args:
        print(usage())
        return 0
    unknown_options = [a for a in args if a.startswith("-") and a != "--quick"]
    if unknown_options:
        print(f"unknown option(s) {unknown_options}\n\n{usage()}")
        return 2
    quick = "--quick" in args
    if quick:
        os.environ["FIELDREG_BENCH_QUICK"] = "1"
    chosen = [a for a in args if not a.startswith("-")] or names()
    unknown = sorted(set(chosen) - set(names()))
    if unknown:
        print(f"unknown benchmark(s) {unknown}; known: {names()}")
        return 2
    sys.path.insert(0, str(HERE.parent))
    failed = [name for name in chosen if not run_one(name, quick)]
    print("== all benchmarks done" if not failed else f"== failed: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
