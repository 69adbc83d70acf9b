"""Sync and deduplication engine: pure Python, no Flask, takes a database and plain data."""
