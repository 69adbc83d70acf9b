"""Other engines on the same files, for the side-by-side benchmarks: Splink and recordlinkage.

Each reads the benchmark CSV (FieldReg's columns plus `source`, `true_id`) and returns
(true ids, cluster labels) in the same order: pairs are scored on clusters, whatever engine.
Splink (5, on DuckDB) is configured along the lines of its own FEBRL examples: name comparisons with
term frequencies, date of birth, an id at Damerau-Levenshtein 1-2, address, postcode and
locality; the prior from deterministic rules, u by random sampling, m by EM on two blocking
rules; predictions at 0.5, clusters at 0.9. recordlinkage (0.16) is its unsupervised
Fellegi–Sunter: blocks, thresholded comparisons, the ECM classifier, connected components.
"""

import csv

COLUMNS = ("given_name", "family_name", "date_of_birth", "sex", "phone", "id_number",
           "address", "locality", "postcode")  # fmt: skip


def read_rows(path: str) -> list[dict]:
    """Read the benchmark CSV as dicts."""
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def components(ids: list[str], pairs) -> list[str]:
    """Return a cluster label per id: connected components of the matched pairs."""
    parent = {i: i for i in ids}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return [find(i) for i in ids]


def splink_settings(link: bool):
    """Return the Splink settings of the benchmark (link two files, or deduplicate one)."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="link_only" if link else "dedupe_only",
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("family_name").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True),
            cl.DamerauLevenshteinAtThresholds("id_number", [1, 2]),
            cl.JaroWinklerAtThresholds("address", [0.95, 0.85]),
            cl.DamerauLevenshteinAtThresholds("postcode", [1]),
            cl.JaroWinklerAtThresholds("locality", [0.95, 0.88]),
            cl.ExactMatch("phone"),
            cl.ExactMatch("sex"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "family_name"), block_on("family_name", "date_of_birth"),
            block_on("given_name", "date_of_birth"), block_on("postcode", "given_name"),
            block_on("postcode", "family_name"), block_on("id_number"), block_on("phone"),
            block_on("address"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )  # fmt: skip


def run_splink(path: str) -> tuple[list[str], list[str]]:
    """Link or deduplicate the file with Splink on DuckDB; return (truth, labels)."""
    import duckdb
    from splink import DuckDBAPI, Linker, block_on

    con = duckdb.connect()
    cleaned = ", ".join(f"nullif(lower(trim({c})), '') as {c}" for c in COLUMNS)
    con.execute(
        f"create table people as select id as unique_id, source, true_id, {cleaned} "
        f"from read_csv('{path}', all_varchar = true, header = true)"
    )
    sources = [
        r[0] for r in con.execute("select distinct source from people order by 1").fetchall()
    ]
    for source in sources:
        con.execute(
            f"create table people_{source} as select * from people where source = '{source}'"
        )
    db_api = DuckDBAPI(connection=con)
    settings = splink_settings(len(sources) > 1)
    tables = [db_api.register(f"people_{s}") for s in sources] if len(sources) > 1 else [
        db_api.register("people")]  # fmt: skip
    linker = Linker(tables if len(tables) > 1 else tables[0], settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "family_name", "date_of_birth"), block_on("id_number")],
        recall=0.8,
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
    rows = con.execute(f"select true_id, cluster_id from {clustered.physical_name}").fetchall()
    return [r[0] for r in rows], [str(r[1]) for r in rows]


def run_recordlinkage(path: str) -> tuple[list[str], list[str]]:
    """Link or deduplicate the file with recordlinkage's ECM classifier; return (truth, labels)."""
    import pandas as pd
    import recordlinkage as rl

    frame = pd.read_csv(path, dtype=str, keep_default_na=False).set_index("id")
    frame = frame.replace("", None)
    for column in ("given_name", "family_name", "address", "locality"):
        frame[column] = frame[column].str.lower()
    sources = sorted(frame["source"].unique())
    parts = [frame[frame["source"] == s] for s in sources]
    indexer = rl.Index()
    for keys in (["given_name", "family_name"], ["family_name", "date_of_birth"],
                 ["given_name", "date_of_birth"], ["postcode", "family_name"],
                 ["postcode", "given_name"], ["id_number"]):  # fmt: skip
        indexer.block(left_on=keys, right_on=keys)
    pairs = indexer.index(*parts)
    compare = rl.Compare(n_jobs=1)
    for column in ("given_name", "family_name", "address", "locality"):
        compare.string(column, column, method="jarowinkler", threshold=0.85, label=column)
    for column in ("date_of_birth", "postcode", "id_number", "phone"):
        compare.exact(column, column, label=column)
    features = compare.compute(pairs, *parts)
    matches = rl.ECMClassifier(binarize=None).fit_predict(features)
    ids = frame.index.tolist()
    labels = components(ids, matches.tolist())
    return frame["true_id"].tolist(), labels
