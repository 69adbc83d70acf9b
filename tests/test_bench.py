"""`python -m bench` finds every bench/bench_*.py and can run each in quick mode."""

import inspect
import subprocess
import sys

from bench.__main__ import names
from tests.conftest import ROOT


def test_every_benchmark_has_a_main_with_quick_mode():
    import importlib

    assert {"load", "startup", "crash"} <= set(names())
    for name in names():
        assert callable(importlib.import_module(f"bench.bench_{name}").main)
    for name in ("load", "startup", "crash"):
        main = importlib.import_module(f"bench.bench_{name}").main
        assert "quick" in inspect.signature(main).parameters


def test_unknown_benchmark_is_refused():
    result = subprocess.run([sys.executable, "-m", "bench", "nope"], cwd=ROOT,
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 2 and "known" in result.stdout


def test_help_prints_help_and_runs_nothing():
    """issue 15: `python -m bench --help` ran every benchmark."""
    for flag in ("--help", "-h"):
        result = subprocess.run([sys.executable, "-m", "bench", flag], cwd=ROOT,
                                capture_output=True, text=True, timeout=60)  # fmt: skip
        assert result.returncode == 0 and "usage: python -m bench" in result.stdout
        assert "== bench" not in result.stdout and "dashboard" in result.stdout
    bad = subprocess.run([sys.executable, "-m", "bench", "--fast"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert bad.returncode == 2 and "usage" in bad.stdout and "== bench" not in bad.stdout
