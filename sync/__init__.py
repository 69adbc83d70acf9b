"""Sync and deduplication engine: pure Python, no Flask, takes a database and plain data.

The package's surface, one module per job (fieldreg/ calls these; nothing here imports it):

- ``store``: settings, checkpoints and transactions, the only place sync reads or writes them;
- ``hlc``: hybrid logical clocks that order changes across sites whose clocks disagree;
- ``tables``: which tables sync and how (the allow-list apply and the canonical dump read);
- ``changelog``: every local write recorded in the write's own transaction;
- ``apply``: changes from another site applied idempotently, the same result everywhere;
- ``authority``: who may write what (HQ's rule for every change a station sends);
- ``admission``: what HQ admits of a station's batch, checked whole before any is applied;
- ``need_to_know``: what HQ sends each station back;
- ``repair``: a station's own fixes to changes HQ has not acknowledged;
- ``protocol`` and ``client``: push, signed acknowledgement, pull (HQ's side and the station's);
- ``bundle`` and ``keys``: encrypted, signed bundles for the USB stick, and the keys behind them;
- ``names``: name normalisation in Arabic and Latin script;
- ``dedup``: deduplication of people across stations (see dedup/engine.py);
- ``tracing``: family tracing candidates (see tracing/__init__.py).
"""

__all__ = [
    "admission",
    "apply",
    "authority",
    "bundle",
    "changelog",
    "client",
    "dedup",
    "hlc",
    "keys",
    "names",
    "need_to_know",
    "protocol",
    "repair",
    "store",
    "tables",
    "tracing",
]
