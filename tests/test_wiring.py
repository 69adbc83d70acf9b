"""Explicit wiring (issue 16): no registry is filled by importing a module; wire() fills all.

Each check runs in a fresh interpreter, because this test process has imported everything
already: only a subprocess sees what a real command sees.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fieldreg import clusters, registry, stats, subject, wiring
from sync import tables

ROOT = Path(__file__).resolve().parent.parent
REGISTRIES = """
import json
from fieldreg import clusters, stats, subject
from sync import tables
print(json.dumps({
    "figures": sorted(name for name, _ in stats.PROVIDERS.items()),
    "parts": sorted(name for name, _ in subject.PARTS.items()),
    "clusters": sorted(name for name, _ in clusters.SOURCE.items()),
    "tables": sorted(tables.SYNCED),
}))
"""
WIRED = {
    "figures": ["convoys", "last_sync", "review_queue", "tracing", "unique", "unique_figures"],
    "parts": ["boarding", "dedup", "movements", "tracing", "triage"],
    "clusters": ["duplicated", "lookup", "members"],
    "tables": [
        "convoy_scans", "convoys", "dedup_decisions", "households", "movements", "people",
        "record_owners", "tracing_cases", "tracing_decisions", "tracing_matches",
        "tracing_notes", "tracing_photos", "triage", "vehicles",
    ],
}  # fmt: skip


def run_python(code: str, env: dict | None = None) -> dict:
    """Run code in a fresh interpreter at the checkout; return the JSON it printed last."""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_every_module_registers_nothing():
    imports = "import fieldreg.cli, fieldreg.medical, fieldreg.movements, fieldreg.dedup\n"
    imports += "import fieldreg.syncing, fieldreg.exports, fieldreg.wiring, fieldreg.tracing\n"
    imports += "import fieldreg.convoys, fieldreg.boarding, fieldreg.reconcile\n"
    found = run_python(imports + REGISTRIES)
    assert found == {"figures": [], "parts": [], "clusters": [],
                     "tables": ["households", "people", "record_owners"]}  # fmt: skip


@pytest.mark.parametrize(
    "entry",
    [
        "from fieldreg.cli import cli\n"
        "cli(['--data', DATA, 'users', 'list'], standalone_mode=False)\n",
        "from fieldreg import create_app\ncreate_app({'DATA': DATA, 'TESTING': True})\n",
    ],
    ids=["command line", "app factory"],
)
def test_each_entry_point_wires_every_contribution(entry, tmp_path):
    code = f"DATA = {str(tmp_path / 'data')!r}\n" + entry + REGISTRIES
    assert run_python(code) == WIRED


def test_asking_for_what_nobody_registered_is_an_error():
    empty = registry.Registry("figure", names=("unique",))
    with pytest.raises(registry.NotWired):
        empty.get("unique")
    with pytest.raises(registry.NotWired):
        empty.add("made_up", lambda *_: None)


def test_wire_is_idempotent_and_matches_the_declared_names():
    wiring.wire()
    wiring.wire()
    assert sorted(name for name, _ in stats.PROVIDERS.items()) == sorted(stats.PROVIDERS.names)
    assert [name for name, *_ in subject.parts()] == list(subject.PARTS.names)
    assert "lookup" in clusters.SOURCE
    assert {"triage", "movements", "dedup_decisions"} <= set(tables.SYNCED)
