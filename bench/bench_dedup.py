"""Benchmark deduplication: FieldReg's engine and a plain Splink model, side by side.

For each size a synthetic population is generated once (bench/gen_population.py, with ground
truth) and written to a CSV; each engine then runs in its own process on that file, so its
wall time and peak memory (max RSS) are its own. Reported: pair precision, recall and F1 (pairs
of records put in one cluster, against pairs of records of one true person), cluster figures
(unique people found against the truth, share of true people recovered exactly), wall time
of the dedup itself and of the whole process, and peak RSS. FieldReg is also timed on an
incremental run: 1,000 new records against an index of the rest.

    python -m bench.bench_dedup                      # 10k, 100k, 250k; both engines
    python -m bench.bench_dedup --sizes 10000 --engines fieldreg
    python -m bench.bench_dedup --sizes 250000 --engines fieldreg@main,fieldreg \
        --spellings levantine,plain                  # this engine against main's, two populations

An engine named `fieldreg@REF` is FieldReg's engine as it is at git ref REF (its `sync/`
exported with `git archive` and put first on the child's path), scored by this bench. Besides
the figures of all records, the engine's figures on people with ث ذ ظ in a name written in
Arabic ("ث ذ ظ": Osman / عثمان, issue 15) are given where the population has them.
"""

import argparse
import csv
import io
import itertools
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from bench.gen_population import generate, write_csv

ENGINES = ("fieldreg", "splink")
INCREMENTAL = 1000
ROOT = Path(__file__).resolve().parent.parent
ENGINE_CODE = "FIELDREG_BENCH_ENGINE_CODE"  # a folder whose sync/ the child imports first
READ_LETTERS = re.compile("[ثذظ]")
NAME_COLUMNS = ("given_name", "father_name", "mother_name", "family_name")


def read_columns(path: str) -> dict[str, tuple]:
    """Read a generated population CSV as columns (lighter than one dict per person)."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows)
        return dict(zip(header, zip(*rows, strict=True), strict=True))


def scores(truth: list[str], labels: list[str]) -> dict:
    """Return pair precision/recall/F1 and cluster figures of labels against truth."""

    def pair_count(counts: Counter) -> int:
        return sum(c * (c - 1) // 2 for c in counts.values())

    true_pairs = pair_count(Counter(truth))
    found_pairs = pair_count(Counter(labels))
    both = pair_count(Counter(zip(truth, labels, strict=True)))
    precision = both / found_pairs if found_pairs else 1.0
    recall = both / true_pairs if true_pairs else 1.0
    members_true, members_found = defaultdict(set), defaultdict(set)
    for i, (t, label) in enumerate(zip(truth, labels, strict=True)):
        members_true[t].add(i)
        members_found[label].add(i)
    exact = sum(1 for m in members_true.values() if members_found[labels[min(m)]] == m)
    return {
        "records": len(truth),
        "true_people": len(members_true),
        "found_people": len(members_found),
        "pair_precision": round(precision, 4),
        "pair_recall": round(recall, 4),
        "pair_f1": round(2 * precision * recall / (precision + recall or 1), 4),
        "people_exactly_clustered": round(exact / len(members_true), 4),
    }


def readings_subset(columns: dict[str, tuple], truth: list[str], labels: list[str]) -> dict:
    """Return pair figures among the records of people with ث ذ ظ in an Arabic name, if any."""
    names = zip(*(columns.get(c, ()) for c in NAME_COLUMNS), strict=True)
    people = {t for t, row in zip(truth, names, strict=True) if READ_LETTERS.search(" ".join(row))}
    keep = [i for i, t in enumerate(truth) if t in people]
    if not keep:
        return {}
    subset = scores([truth[i] for i in keep], [labels[i] for i in keep])
    return {"readings_" + k: subset[k] for k in ("records", "pair_recall", "pair_f1")}


def run_fieldreg(path: str) -> dict:
    """Deduplicate the file with FieldReg's engine; return figures."""
    from sync.dedup import DedupIndex

    columns = read_columns(path)
    start, cpu = time.perf_counter(), time.process_time()
    index = DedupIndex.build(columns)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    clusters = index.result().cluster_ids()
    truth, labels = list(columns["true_id"]), [clusters[i] for i in columns["id"]]
    figures = scores(truth, labels)
    figures.update(readings_subset(columns, truth, labels))
    figures.update(index.result().summary())
    return {**figures, "dedup_seconds": round(elapsed, 2), "cpu_seconds": round(cpu, 2)}


def run_incremental(path: str) -> dict:
    """Index all but the last 1,000 records, then time adding those; return figures."""
    from sync.dedup import DedupIndex

    columns = read_columns(path)
    n = len(columns["id"])
    index = DedupIndex.build({k: v[: n - INCREMENTAL] for k, v in columns.items()})
    tail = zip(*(values[n - INCREMENTAL :] for values in columns.values()), strict=True)
    new = [dict(zip(columns, row, strict=True)) for row in tail]
    start = time.perf_counter()
    index.add(new)
    elapsed = time.perf_counter() - start
    clusters = index.result().cluster_ids()
    figures = scores(list(columns["true_id"]), [clusters[i] for i in columns["id"]])
    return {**figures, "indexed": n - INCREMENTAL, "added": INCREMENTAL,
            "dedup_seconds": round(elapsed, 2)}  # fmt: skip


def run_splink(path: str) -> dict:
    """Deduplicate the file with a plain Splink model on DuckDB; return figures."""
    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    start = time.perf_counter()
    con = duckdb.connect()
    con.execute(
        f"""create table people as select id as unique_id, true_id,
        nullif(lower(trim(given_name)), '') as given_name,
        nullif(lower(trim(father_name)), '') as father_name,
        nullif(lower(trim(mother_name)), '') as mother_name,
        nullif(lower(trim(family_name)), '') as family_name,
        nullif(sex, 'unknown') as sex, nullif(date_of_birth, '') as date_of_birth,
        nullif(regexp_replace(phone, '[^0-9]', '', 'g'), '') as phone
        from read_csv('{path}', all_varchar = true, header = true)"""
    )
    db_api = DuckDBAPI(connection=con)
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.JaroWinklerAtThresholds("given_name", [0.92, 0.8]),
            cl.JaroWinklerAtThresholds("father_name", [0.92, 0.8]),
            cl.JaroWinklerAtThresholds("mother_name", [0.92, 0.8]),
            cl.JaroWinklerAtThresholds("family_name", [0.92, 0.8]),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
            cl.ExactMatch("sex"),
            cl.ExactMatch("phone"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "family_name"),
            block_on("given_name", "father_name"),
            block_on("father_name", "mother_name"),
            block_on("family_name", "date_of_birth"),
            block_on("phone"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    linker = Linker(db_api.register("people"), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "father_name", "family_name", "date_of_birth")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given_name", "family_name")
    )
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.9
    )
    table = clustered.physical_name
    rows = con.execute(f"select true_id, cluster_id from {table}").fetchall()
    elapsed = time.perf_counter() - start
    figures = scores([r[0] for r in rows], [str(r[1]) for r in rows])
    return {**figures, "dedup_seconds": round(elapsed, 2)}


def child(mode: str, path: str) -> None:
    """Run one engine in this process and print its figures as JSON."""
    if os.environ.get(ENGINE_CODE):
        sys.path.insert(0, os.environ[ENGINE_CODE])
    runner = {"fieldreg": run_fieldreg, "splink": run_splink, "incremental": run_incremental}
    print(json.dumps({**runner[mode](path), "vm_hwm_mb": vm_hwm_mb()}))


def vm_hwm_mb() -> float:
    """Return this process's peak resident memory in MB (VmHWM, counted from its exec).

    A child's ru_maxrss also counts the pages of the parent it was forked from (a parent that
    generated a population holds hundreds of MB), so each child reports its own peak.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def engine_code(engine: str, folder: str) -> tuple[str, dict]:
    """Return (the engine's mode, its child's environment) for a name such as fieldreg@main.

    The engine's ``sync/`` at that git ref is exported once into folder.
    """
    mode, _, ref = engine.partition("@")
    if not ref:
        return mode, {}
    code = os.path.join(folder, "engine-" + re.sub(r"\W", "_", ref))
    if not os.path.isdir(code):
        archive = subprocess.run(["git", "archive", ref, "sync"], cwd=ROOT, capture_output=True,
                                 check=True).stdout  # fmt: skip
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(code, filter="data")
    return mode, {ENGINE_CODE: code}


def peak_rss_mb(
    mode: str, path: str, module: str = "bench.bench_dedup", env: dict | None = None
) -> tuple[dict, float]:
    """Run one engine in a child process; return (its figures, its peak RSS in MB)."""
    with tempfile.TemporaryFile("w+") as errors:
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", module, "--child", mode, path],
            stdout=subprocess.PIPE, stderr=errors, text=True, cwd=ROOT,
            env={**os.environ, **(env or {})},
        )  # fmt: skip
        out = process.stdout.read() if process.stdout else ""
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = status
        wall = time.perf_counter() - start
        errors.seek(0)
        tail = (errors.read().strip().splitlines() or ["failed"])[-1]
    if status:
        return {"engine": mode, "error": tail}, usage.ru_maxrss / 1024
    figures = json.loads(out.strip().splitlines()[-1])
    rss = figures.pop("vm_hwm_mb", None) or usage.ru_maxrss / 1024
    return {"engine": mode, **figures, "process_seconds": round(wall, 2)}, rss


def main() -> None:
    """Generate populations and benchmark each engine on them; print a table and JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,250000")
    parser.add_argument("--engines", default=",".join(ENGINES) + ",incremental")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--spellings", default="levantine", help="levantine and/or plain")
    parser.add_argument("--out", default="bench/results/dedup.json")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "CSV"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for size, spelling in itertools.product(
            map(int, args.sizes.split(",")), args.spellings.split(",")
        ):
            path = os.path.join(folder, f"people-{size}-{spelling}.csv")
            write_csv(generate(size, args.seed, levantine=spelling == "levantine"), path)
            for engine in args.engines.split(","):
                mode, env = engine_code(engine, folder)
                figures, rss = peak_rss_mb(mode, path, env=env)
                figures.update(engine=engine, size=size, spellings=spelling,
                               peak_rss_mb=round(rss), load=os.getloadavg()[0])  # fmt: skip
                results.append(figures)
                print(json.dumps(figures), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1))
    print(table(results))


def table(results: list[dict]) -> str:
    """Return the results as a Markdown table (CPU and ث ذ ظ columns where measured)."""
    cpu = any("cpu_seconds" in r for r in results)
    subset = any("readings_pair_f1" in r for r in results)
    head = (
        "| size | engine | pair P | pair R | pair F1 | people found / true | exact "
        + ("| ث ذ ظ R / F1 " if subset else "")
        + "| dedup s "
        + ("| CPU s " if cpu else "")
        + "| process s | peak RSS MB |"
    )
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    for r in results:
        size = _size(r["size"]) + (f" {r['spellings']}" if r.get("spellings") else "")
        if "error" in r:
            lines.append(f"| {size} | {r['engine']} | error: {r['error']} |")
            continue
        lines.append(
            f"| {size} | {r['engine']} | {r['pair_precision']} | {r['pair_recall']} "
            f"| {r['pair_f1']} | {r['found_people']:,} / {r['true_people']:,} "
            f"| {r['people_exactly_clustered']} "
            + (f"| {r.get('readings_pair_recall', '')} / {r.get('readings_pair_f1', '')} "
               if subset else "")
            + f"| {r['dedup_seconds']} " + (f"| {r.get('cpu_seconds', '')} " if cpu else "")
            + f"| {r['process_seconds']} | {r['peak_rss_mb']} |"
        )  # fmt: skip
    return "\n".join(lines)


def _size(size: int | str) -> str:
    """Return a size with thousands separators, or a dataset's name as it is."""
    return f"{size:,}" if isinstance(size, int) else str(size)


if __name__ == "__main__":
    main()
