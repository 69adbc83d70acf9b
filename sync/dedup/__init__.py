"""Deduplication of people across stations: see engine.py for the pipeline."""

from sync.dedup.engine import DedupIndex, DedupResult, PairScore, Settings, run
from sync.dedup.review import Decision, Decisions

__all__ = ["DedupIndex", "DedupResult", "Decision", "Decisions", "PairScore", "Settings", "run"]
