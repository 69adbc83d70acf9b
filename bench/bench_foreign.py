"""Another agency's list against HQ's records: import and reconcile, timed (issue 18).

python -m bench.bench_foreign [RECORDS] [LIST]   (default 100,000 records, a 10,000-name list;
--quick: 10,000 and 1,000)

HQ's encrypted data folder is filled with RECORDS generated registrations (bench/
gen_population.py: Arabic and Latin spellings, households registered twice, typos). The list is
written as another agency would: 90% people of ours in its own spelling (Latin names upper or
lower case with the article as "Al-", Arabic ones without hamza or ta marbuta, adults' ages
rounded to five), 5% people not registered here, 5% rows naming someone twice. Timed: reading
the CSV (``foreign.import_list``) and reconciling it against everyone (``reconcile_list``:
loading the records from SQLCipher, linking, storing the result), in wall-clock and in CPU
seconds (on a shared machine the wall clock waits for other jobs). Also printed: how many rows
were matched, and how many of those to the registration they were written from (or one
deduplication would link to it).
"""

from __future__ import annotations

import csv
import io
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from bench import common  # noqa: F401  the passphrase and cheap KDF of throw-away folders
from bench.bench_dedup_hq import insert
from bench.gen_population import generate
from fieldreg import foreign, wiring
from fieldreg.db import connect, prepare

HEADER = ["No", "Full name", "Sex", "Age"]
MAPPING = {"No": "their_id", "Full name": "full_name", "Sex": "sex", "Age": "age_years"}


def their_name(record: dict, rng: random.Random) -> str:
    """Write a registration's name as the other agency would."""
    parts = [record[f] for f in ("given_name", "father_name", "family_name") if record[f]]
    text = " ".join(parts)
    if text.isascii():
        family = parts[-1]
        if not family.lower().startswith(("al", "el", "abu")):
            text = text[: -len(family)] + "Al-" + family
        return text.upper() if rng.random() < 0.3 else text
    for plain, fancy in (("ا", "أ"), ("ا", "إ"), ("ه", "ة")):
        text = text.replace(fancy, plain)
    return text


def their_age(record: dict) -> str:
    """Return an age as a head count writes it: adults rounded to five."""
    if record["age_years"]:
        age = int(record["age_years"])
    elif record["date_of_birth"]:
        age = 2026 - int(record["date_of_birth"][:4])
    else:
        return ""
    return str(age if age < 15 else 5 * round(age / 5))


def their_list(ours: list[dict], others: list[dict], size: int, rng: random.Random) -> tuple:
    """Return the CSV bytes of their list and, per row, the record it was written from."""
    known = rng.sample(ours, int(size * 0.9))
    sources = known + rng.sample(others, int(size * 0.05))
    sources += rng.sample(known, size - len(sources))
    rng.shuffle(sources)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for n, record in enumerate(sources, start=1):
        writer.writerow([n, their_name(record, rng), record["sex"][:1].upper(),
                         their_age(record)])  # fmt: skip
    return out.getvalue().encode(), sources


def quality(result: dict, sources: list[dict], ours_ids: set[str], prefix: str) -> dict:
    """Count matched rows, and those matched to their own registration (or its true person)."""
    truth_of = {prefix + r["id"]: r["true_id"] for r in sources}
    matched = right = 0
    for group in result["groups"]:
        if group["status"] != "matched":
            continue
        for row in group["rows"]:
            matched += 1
            wanted = sources[row]["true_id"]
            right += any(truth_of.get(o, _true(o)) == wanted for o in group["ours"])
    should = sum(1 for r in sources if prefix + r["id"] in ours_ids)
    return {"rows_of_ours": should, "matched_rows": matched, "matched_right": right}


def _true(person_id: str) -> str:
    """Return the true person of a generated registration id ('A' + 'R<seq>-<true id>')."""
    return person_id.split("-", 1)[1] if "-" in person_id else person_id


def main(records: int = 100_000, size: int = 10_000, quick: bool = False) -> dict:
    """Fill HQ with records, import and reconcile a list of `size` names; print the figures."""
    if quick:
        records, size = 10_000, 1_000
    wiring.wire()
    rng = random.Random(18)
    people = generate(records + size, seed=11)
    ours, others = people[:records], people[records:]
    body, sources = their_list(ours, others, size, rng)
    with tempfile.TemporaryDirectory() as tmp:
        db = connect(prepare(Path(tmp)))
        insert(db, ours, "A")
        start, cpu = time.perf_counter(), time.process_time()
        made = foreign.import_list(db, "theirs.csv", body, {"name": "bench"}, "bench")
        read = time.perf_counter() - start
        found = foreign.reconcile_list(db, made["id"], MAPPING, "all", "bench")
        total, cpu = time.perf_counter() - start, time.process_time() - cpu
        db.close()
    figures = {
        "records": records, "list": size, "import_s": round(read, 2),
        "import_and_reconcile_s": round(total, 2), "cpu_s": round(cpu, 2),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        **found["result"]["summary"],
        **quality(found["result"], sources, {"A" + r["id"] for r in ours}, "A"),
    }  # fmt: skip
    print(figures)
    return figures


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:] if a.isdigit()), quick="--quick" in sys.argv)
