"""Benchmark the figures and exports at a realistic scale: how long the dashboard, the HQ page
and an export take on a station of N households (default 10,000, about 35,000 people).

    python bench/bench_dashboard.py [N]
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fieldreg import exports, records, stats  # noqa: E402
from fieldreg.db import connect, prepare, write  # noqa: E402
from fieldreg.schemas import records as schemas  # noqa: E402


def seed(db, households: int, rng: random.Random) -> None:
    """Register households through the domain operation, as the API does."""
    with write(db):
        for n in range(households):
            members = [
                {"given_name": rng.choice(["Ahmad", "فاطمة", "Omar", "مريم"]),
                 "family_name": rng.choice(["Halabi", "الحلبي", "Darwish"]),
                 "sex": rng.choice(schemas.SEXES), "age_years": rng.randint(0, 90)}
                for _ in range(rng.randint(1, 6))
            ]  # fmt: skip
            body = {
                "members": members,
                "arrival": {"at": f"2026-11-{10 + n * 10 // households:02d}T"
                                  f"{rng.randint(0, 23):02d}:00:00",
                            "transport": rng.choice(schemas.TRANSPORTS)},
                "destination": {"kind": rng.choice(schemas.DESTINATION_KINDS)},
                "vulnerabilities": rng.sample(schemas.VULNERABILITIES, rng.choice([0, 0, 0, 1])),
                "consent_share": rng.random() < 0.5,
            }  # fmt: skip
            records.create_household(db, schemas.HouseholdSchema().load(body), "bench")


def timed(label: str, function, repeat: int = 5) -> float:
    """Run a function a few times and print the median time in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    median = sorted(times)[len(times) // 2]
    print(f"{label:<40} {median:8.1f} ms")
    return median


def main(households: int = 10_000) -> dict[str, float]:
    """Seed a station and time its figures and exports."""
    with tempfile.TemporaryDirectory() as tmp:
        db = connect(prepare(Path(tmp)))
        start = time.perf_counter()
        seed(db, households, random.Random(1))
        people = stats.station_stats(db)["people"]
        print(f"seeded {households} households, {people} people "
              f"in {time.perf_counter() - start:.1f} s")  # fmt: skip
        return {
            "station_stats": timed("station_stats (dashboard, /api/v1/stats)",
                                   lambda: stats.station_stats(db)),
            "hq_stats": timed("hq_stats (HQ page)", lambda: stats.hq_stats(db)),
            "csv_people_hxl": timed("export csv people --hxl",
                                    lambda: exports.export(db, "csv", "people", hxl=True), 3),
            "csv_pseudonymised": timed("export csv people --pseudonymise",
                                       lambda: exports.export(db, "csv", partner="P"), 3),
            "xlsx_all": timed("export xlsx (households + people)",
                              lambda: exports.export(db, "xlsx"), 1),
            "pfif": timed("export pfif", lambda: exports.export(db, "pfif"), 1),
        }  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
