"""Deduplication of people across stations: see engine.py for the pipeline."""

from sync.dedup.csvio import CsvReport, dedup_csv, read_people
from sync.dedup.engine import DedupIndex, run
from sync.dedup.result import DedupResult, PairScore
from sync.dedup.review import Decision, Decisions
from sync.dedup.settings import Settings
from sync.dedup.uncertainty import CountBounds, count_bounds

__all__ = [
    "CountBounds", "CsvReport", "DedupIndex", "DedupResult", "Decision", "Decisions", "PairScore",
    "Settings", "count_bounds", "dedup_csv", "read_people", "run",
]  # fmt: skip
