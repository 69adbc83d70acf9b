"""The learned model as Splink settings (issue 15): same levels and weights, runs on DuckDB."""

import math

import pytest

from bench.gen_latin import generate
from sync.dedup import DedupIndex
from sync.dedup.compare import LEVELS
from sync.dedup.splink_export import feature_rows, splink_settings


@pytest.fixture(scope="module")
def index() -> DedupIndex:
    """Return an index learned on a small Latin-script population."""
    return DedupIndex.build(generate(3000, seed=2))


def test_settings_carry_every_level_with_the_models_weights(index: DedupIndex) -> None:
    settings = splink_settings(index.model)
    assert settings["probability_two_random_records_match"] == index.model.random_match
    comparisons = {c["output_column_name"]: c for c in settings["comparisons"]}
    assert set(comparisons) == set(LEVELS)
    for name, comparison in comparisons.items():
        levels = comparison["comparison_levels"]
        assert levels[0]["is_null_level"]
        labels = [level["label_for_charts"] for level in levels[1:]]
        assert sorted(labels) == sorted(LEVELS[name]) and labels[-1] == "different"
        m = [level["m_probability"] for level in levels[1:]]
        assert math.isclose(sum(m), 1.0, rel_tol=1e-6)
    same = comparisons["given"]["comparison_levels"][1]
    assert same["m_probability"] == float(index.model.m["given"][3])
    assert same["tf_adjustment_column"] == "given_skel"


def test_feature_rows_hold_what_the_levels_compare(index: DedupIndex) -> None:
    rows = list(feature_rows(index.ft, index.vocab))
    assert len(rows) == len(index.ft)
    row = next(r for r in rows if r["dob"] and r["address"])
    assert len(row["dob"]) == 8 and row["birth_year"] == int(row["dob"][:4])
    assert row["given_skel"] and row["family_norm"] and row["father_skel"] is None


def test_splink_scores_with_the_exported_settings(index: DedupIndex) -> None:
    duckdb = pytest.importorskip("duckdb")
    pd = pytest.importorskip("pandas")
    splink = pytest.importorskip("splink")
    con = duckdb.connect()
    con.register("features", pd.DataFrame(feature_rows(index.ft, index.vocab)))
    con.execute("create table people as select * from features")
    present = [name for name in LEVELS if name not in ("father", "mother", "origin")]
    settings = splink_settings(index.model, present)
    linker = splink.Linker(splink.DuckDBAPI(connection=con).register("people"), settings)
    predictions = linker.inference.predict(threshold_match_probability=0.9)
    predictions = predictions.as_pandas_dataframe()
    assert len(predictions) > 200
    labels = index.labels
    pairs = zip(predictions["unique_id_l"], predictions["unique_id_r"], strict=True)
    same = [labels[index.row[a]] == labels[index.row[b]] for a, b in pairs]
    assert sum(same) / len(same) > 0.8  # the engine mostly agrees with its own export
