"""Scaling of the HQ deduplication: a full run and an incremental add, from 250k to 2M people.

For each size a child process generates the population (bench/gen_population.py, the
Arabic/Latin evacuee registrations, seed 1) into a CSV; a second child reads it as columns,
runs `DedupIndex.build` (the engine behind `fieldreg dedup` and `dedup-csv`) over all but the
last 1,000 people, then `DedupIndex.add` of those 1,000 (what HQ does after a sync), and
scores the clusters of all of them against the truth. Reported per size: the full run's wall
and CPU time, the add's time, the child's peak resident memory (VmHWM), pair F1, and the
growth against the previous size as the exponent k of time ∝ n^k (n log n is k ≈ 1.05-1.1
over a doubling at these sizes).

    python -m bench.bench_dedup_scale                          # 250k, 500k, 1M, 2M
    python -m bench.bench_dedup_scale --sizes 100000,200000
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_dedup import read_columns, scores, vm_hwm_mb

SIZES = "250000,500000,1000000,2000000"
ADDED = 1000
KEPT = ("id", "given_name", "father_name", "mother_name", "family_name", "sex", "date_of_birth",
        "age_years", "phone", "id_number", "origin", "household_id", "true_id")  # fmt: skip


def write_population(size: int, path: str, seed: int) -> None:
    """Generate a population and write it to a CSV (run in a child: it takes memory)."""
    from bench.gen_population import generate, write_csv

    write_csv(generate(size, seed), path)


def measure(path: str) -> dict:
    """Index all but the last ADDED people, add those; return times, memory and accuracy."""
    from sync.dedup import DedupIndex

    columns = {k: v for k, v in read_columns(path).items() if k in KEPT}
    n = len(columns["id"])
    head = {k: v[: n - ADDED] for k, v in columns.items() if k != "true_id"}
    cpu, start = time.process_time(), time.perf_counter()
    index = DedupIndex.build(head)
    full, full_cpu = time.perf_counter() - start, time.process_time() - cpu
    del head
    tail = [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]
    cpu, start = time.process_time(), time.perf_counter()
    index.add(tail[n - ADDED :])
    added, added_cpu = time.perf_counter() - start, time.process_time() - cpu
    clusters = index.result().cluster_ids()
    figures = scores(list(columns["true_id"]), [clusters[i] for i in columns["id"]])
    return {"people": n, "full_s": round(full, 1), "full_cpu_s": round(full_cpu, 1),
            "add_1000_s": round(added, 2), "add_1000_cpu_s": round(added_cpu, 2),
            "peak_rss_mb": round(vm_hwm_mb()),
            "pair_f1": figures["pair_f1"], "pair_precision": figures["pair_precision"],
            "pair_recall": figures["pair_recall"],
            "candidate_pairs": int(index.candidate_count)}  # fmt: skip


def child(args: list[str]) -> dict:
    """Run this module with args in a child process; return the JSON it prints last."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_dedup_scale", *args], capture_output=True, text=True,
        cwd=Path(__file__).resolve().parent.parent, check=False,
    )  # fmt: skip
    if done.returncode:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else {}


def growth(results: list[dict]) -> None:
    """Add to each result the exponent k of time ∝ n^k against the previous size."""
    for before, after in zip(results, results[1:], strict=False):
        if "full_s" in before and "full_s" in after:
            ratio = math.log(after["people"] / before["people"])
            after["k_time"] = round(math.log(after["full_cpu_s"] / before["full_cpu_s"]) / ratio, 2)
            after["k_memory"] = round(
                math.log(after["peak_rss_mb"] / before["peak_rss_mb"]) / ratio, 2
            )


def main(quick: bool = False) -> None:
    """Measure each size in fresh processes; print JSON lines and a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50000,100000" if quick else SIZES)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default="bench/results/dedup_scale.json")
    parser.add_argument("--write", nargs=2, metavar=("SIZE", "CSV"), help=argparse.SUPPRESS)
    parser.add_argument("--measure", metavar="CSV", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.write:
        write_population(int(args.write[0]), args.write[1], args.seed)
        return
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for size in map(int, args.sizes.split(",")):
            path = os.path.join(folder, f"people-{size}.csv")
            child(["--write", str(size), path, "--seed", str(args.seed)])
            figures = {"size": size, "load": os.getloadavg()[0], **child(["--measure", path])}
            os.unlink(path)
            results.append(figures)
            growth(results)
            print(json.dumps(figures), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1))
    print(table(results))


def table(results: list[dict]) -> str:
    """Return the results as a Markdown table."""
    lines = ["| people | full run s (CPU s) | +1,000 s (CPU s) | peak RSS MB | pair F1 | k time "
             "| k memory | load |", "|---" * 8 + "|"]  # fmt: skip
    for r in results:
        if "error" in r:
            lines.append(f"| {r['size']:,} | error: {r['error']} |")
            continue
        lines.append(
            f"| {r['people']:,} | {r['full_s']} ({r['full_cpu_s']}) "
            f"| {r['add_1000_s']} ({r.get('add_1000_cpu_s', '')}) "
            f"| {r['peak_rss_mb']:,} | {r['pair_f1']} | {r.get('k_time', '')} "
            f"| {r.get('k_memory', '')} | {r['load']:.1f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
