"""The same model on Splink and DuckDB: export a learned model, score with Splink, compare.

FieldReg's engine learns its model on a population (bench/gen_population.py or
bench/gen_latin.py); sync/dedup/splink_export.py writes the people's comparable fields and the
model as Splink settings; Splink 5 on DuckDB then predicts and clusters with those settings,
without training. Reported: pair F1 and time of both, on the same people. This is how HQ would
run the model where one machine is not enough (Splink runs the same settings on Spark).

    python -m bench.bench_splink_export [--size 20000] [--population arabic|latin]
"""

import argparse
import json
import time

from bench.bench_dedup import scores


def splink_scores(index, truth: dict[str, str]) -> tuple[dict, float]:
    """Score the index's people with Splink on DuckDB and the exported model; return figures."""
    import duckdb
    import pandas as pd
    from splink import DuckDBAPI, Linker

    from sync.dedup import Settings
    from sync.dedup.splink_export import feature_rows, splink_settings

    frame = pd.DataFrame(feature_rows(index.ft, index.vocab))
    present = [c for c, col in (("phone", "phone"), ("id_number", "id_number"),
               ("origin", "origin"), ("address", "address"), ("postcode", "postcode"),
               ("locality", "locality"), ("father", "father_skel"), ("mother", "mother_skel"))
               if frame[col].notna().sum() == 0]  # fmt: skip
    settings = splink_settings(index.model)
    settings["comparisons"] = [
        c for c in settings["comparisons"] if c["output_column_name"] not in present
    ]
    start = time.perf_counter()
    con = duckdb.connect()
    con.register("features", frame)
    con.execute("create table people as select * from features")
    linker = Linker(DuckDBAPI(connection=con).register("people"), settings, log_level=None)
    link = Settings().link_probability
    predictions = linker.inference.predict(threshold_match_probability=0.1)
    clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=link
    )
    rows = con.execute(f"select unique_id, cluster_id from {clustered.physical_name}").fetchall()
    splink_s = time.perf_counter() - start
    theirs = scores([truth[r[0]] for r in rows], [str(r[1]) for r in rows])
    return theirs, splink_s


def main(quick: bool = False) -> None:
    """Learn on a population, score it with the engine and with Splink; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5000 if quick else 20000)
    parser.add_argument("--population", choices=("arabic", "latin"), default="arabic")
    args = parser.parse_args()
    from sync.dedup import DedupIndex

    if args.population == "latin":
        from bench.gen_latin import generate
    else:
        from bench.gen_population import generate
    people = generate(args.size, 1)
    truth = {p["id"]: p["true_id"] for p in people}
    start = time.perf_counter()
    index = DedupIndex.build(people)
    engine_s = time.perf_counter() - start
    clusters = index.result().cluster_ids()
    ours = scores([truth[i] for i in clusters], list(clusters.values()))
    theirs, splink_s = splink_scores(index, truth)
    figures = {"population": args.population, "size": args.size,
               "engine": {**ours, "seconds": round(engine_s, 2)},
               "splink_export": {**theirs, "seconds": round(splink_s, 2)}}  # fmt: skip
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
