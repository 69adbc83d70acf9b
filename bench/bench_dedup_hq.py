"""HQ deduplication through the domain layer: a full run, then a sync's new people, timed.

python -m bench.bench_dedup_hq [N]   (default 50,000 people at HQ, then 1,000 new)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from bench.gen_population import generate
from fieldreg import dedup
from fieldreg.db import connect, prepare, write

NOW = "2026-11-25T10:00:00+00:00"


def insert(db, people: list[dict], prefix: str) -> None:
    """Insert generated registrations as households and people (as sync would leave them)."""
    with write(db):
        db.table("households").insert_all(
            ({"id": prefix + p["household_id"], "code": prefix + p["household_id"],
              "station": p["station"][:3], "created_at": NOW, "updated_at": NOW,
              "phone": p["phone"] or None, "origin_district": p["origin"] or None}
             for p in people), ignore=True, batch_size=2000)  # fmt: skip
        db.table("people").insert_all(
            ({"id": prefix + p["id"], "code": prefix + p["id"], "position": 0,
              "household_id": prefix + p["household_id"], "created_at": NOW, "updated_at": NOW,
              "age_years": int(p["age_years"]) if p["age_years"] else None,
              **{k: p[k] or None for k in ("given_name", "father_name", "mother_name",
                                           "family_name", "sex", "date_of_birth")}}
             for p in people), batch_size=2000)  # fmt: skip


def main(n: int = 50_000, new: int = 1_000) -> dict:
    """Time a full run over n people and an incremental run of `new` more; print the figures."""
    people = generate(n + new, seed=7)
    with tempfile.TemporaryDirectory() as tmp:
        db = connect(prepare(Path(tmp)))
        insert(db, people[:n], "A")
        start = time.perf_counter()
        summary = dedup.full_run(db)
        full = time.perf_counter() - start
        insert(db, people[n:], "B")
        start = time.perf_counter()
        dedup.after_receive(db)
        incremental = time.perf_counter() - start
        db.close()
    figures = {"people": n, "full_run_s": round(full, 1), "new": new,
               "incremental_s": round(incremental, 2), **summary}  # fmt: skip
    print(figures)
    return figures


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
