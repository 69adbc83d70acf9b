"""The learned model as Splink settings, to score the same way on DuckDB or Spark.

Beyond one machine, HQ can hand the work to Splink on a database engine that spreads it over
cores or machines. `feature_rows` writes the comparable fields this engine computes (names as
spelling and cross-script skeleton, birth date and year with its slack, address, ...), one row
per person, and `splink_settings` turns a learned `Model` into a Splink settings dictionary:
one comparison per field whose levels are the same levels in SQL, with this model's m and u,
term-frequency adjustments on the names, the prior, and blocking rules made from the same keys
(whole blocks: Splink has no sorted neighbourhood). Nothing is trained again on the other side.

What does not travel: the relatives class (Splink has two classes: the export weighs duplicates
against unrelated people only), the household context (bonus, one person per registration),
the in-script check of equal skeletons, the Indel fuzzy test and the other readings of ث ذ ظ
(عثمان and Osman are one sound here, two names there). So the export is the model's
core, for counting at a scale where those refinements are done in a second pass, or not at all.
"""

from collections.abc import Iterator

import numpy as np

from sync.dedup.compare import LEVELS, SIMILAR, SIMILAR_PLACE, SIMILAR_SPELLING
from sync.dedup.features import NAME_FIELDS, FeatureTable, Vocab
from sync.dedup.model import Model

TEXT_COLUMNS = ("phone", "id_number", "origin", "address", "street", "postcode", "locality")


def feature_rows(ft: FeatureTable, vocab: Vocab) -> Iterator[dict]:
    """Yield one dict per person with the columns the exported settings compare."""
    strings = np.array(vocab.strings + [None], dtype=object)  # code -1 (missing) -> None
    columns = {f"{name}_{view}": strings[getattr(ft, view)[name]]
               for name in NAME_FIELDS for view in ("norm", "skel")}  # fmt: skip
    columns.update({name: strings[getattr(ft, name)] for name in TEXT_COLUMNS})
    for i, pid in enumerate(ft.ids):
        row = {"unique_id": pid, **{k: v[i] for k, v in columns.items()}}
        known = int(ft.birth_year[i]) > 0
        row.update(
            dob=str(int(ft.dob[i])) if ft.dob[i] > 0 else None,
            dob_swapped=str(int(ft.dob_swapped[i])) if ft.dob_swapped[i] > 0 else None,
            birth_year=int(ft.birth_year[i]) if known else None,
            year_tol=int(ft.year_tol[i]), sex=int(ft.sex[i]) or None,
        )  # fmt: skip
        yield row


def _name_levels(name: str) -> list[tuple[str, str]]:
    """Return (SQL condition, label) of a name field, strongest first."""
    n, s = f"{name}_norm", f"{name}_skel"
    return [
        (f"{n}_l = {n}_r", "same spelling"),
        (f"{s}_l = {s}_r", "same sound"),
        (f"jaro_winkler_similarity({s}_l, {s}_r) >= {SIMILAR} or "
         f"jaro_winkler_similarity({n}_l, {n}_r) >= {SIMILAR_SPELLING}", "similar"),
    ]  # fmt: skip


def _birth_levels() -> list[tuple[str, str]]:
    """Return (SQL condition, label) of the birth field, strongest first."""
    slack = "(year_tol_l + year_tol_r + 1)"
    gap = "abs(birth_year_l - birth_year_r)"
    return [
        ("dob_l = dob_r", "same date"),
        ("dob_swapped_l = dob_r or dob_l = dob_swapped_r", "day/month swapped"),
        ("hamming(dob_l, dob_r) = 1", "one digit off"),
        (f"{gap} = 0", "same year"), (f"{gap} <= 2", "close"),
        (f"{gap} <= {slack}", "within estimate"), (f"{gap} <= 2 * {slack} + 1", "plausible"),
    ]  # fmt: skip


def _place_levels(name: str) -> list[tuple[str, str]]:
    """Return (SQL condition, label) of address, postcode or locality, strongest first."""
    if name == "address":
        return [("address_l = address_r", "same"),
                ("jaro_winkler_similarity(address_l, address_r) >= 0.9", "similar"),
                ("street_l = street_r", "same street")]  # fmt: skip
    if name == "postcode":
        return [("postcode_l = postcode_r", "same"),
                ("damerau_levenshtein(postcode_l, postcode_r) <= 1", "near")]  # fmt: skip
    similar = f"jaro_winkler_similarity({name}_l, {name}_r) >= {SIMILAR_PLACE}"
    return [(f"{name}_l = {name}_r", "same"), (similar, "similar")]


def _levels(name: str) -> list[tuple[str, str]]:
    """Return the SQL levels of one field, strongest first (without null and else)."""
    if name in NAME_FIELDS:
        return _name_levels(name)
    if name == "birth":
        return _birth_levels()
    if name in ("address", "postcode", "locality"):
        return _place_levels(name)
    return [(f"{name}_l = {name}_r", "same")]


def _null(name: str) -> str:
    """Return the SQL condition of a null comparison of one field."""
    column = {"birth": "birth_year", **{f: f"{f}_skel" for f in NAME_FIELDS}}.get(name, name)
    return f"{column}_l is null or {column}_r is null"


def alternative(model: Model, name: str) -> np.ndarray:
    """Return the level shares of the likelier alternative, level by level (u or r).

    Splink weighs a duplicate against one alternative; per level, the likelier of unrelated
    people and relatives stands in for both, so that siblings (who share a family, parents'
    names and a phone) are not taken for one person.
    """
    if model.shares.get("related", 0) < 1e-6:
        return model.u[name]
    worst = np.maximum(model.u[name], model.r[name])
    return worst / worst.sum()


def comparison(model: Model, name: str) -> dict:
    """Return the Splink comparison of one field with the model's m and u per level."""
    labels, u = LEVELS[name], alternative(model, name)
    levels = [{"sql_condition": _null(name), "label_for_charts": "null", "is_null_level": True}]
    for sql, label in _levels(name) + [("else", "different")]:
        at = labels.index(label)
        level = {"sql_condition": sql, "label_for_charts": label,
                 "m_probability": float(model.m[name][at]),
                 "u_probability": float(u[at])}  # fmt: skip
        if name in NAME_FIELDS and label in ("same spelling", "same sound"):
            level.update(tf_adjustment_column=f"{name}_skel", tf_adjustment_weight=1.0)
        levels.append(level)
    return {"output_column_name": name, "comparison_levels": levels}


def blocking_rules() -> list[str]:
    """Return SQL blocking rules made from the engine's keys (whole blocks)."""
    keys = [("given_skel", "family_skel", "father_skel"),
            ("given_skel", "family_skel", "mother_skel"),
            ("given_skel", "father_skel", "mother_skel"),
            ("father_skel", "mother_skel", "family_skel"),
            ("given_skel", "family_skel"), ("phone", "given_skel"),
            ("phone", "family_skel"), ("id_number",), ("dob",), ("given_skel", "postcode"),
            ("family_skel", "postcode"), ("given_skel", "locality"), ("family_skel", "locality"),
            ("address",)]  # fmt: skip
    rules = [" and ".join(f"l.{c} = r.{c}" for c in key) for key in keys]
    return rules + ["l.given_skel = r.family_skel and l.family_skel = r.given_skel"]


def splink_settings(model: Model, present: list[str] | None = None) -> dict:
    """Return Splink settings (a dict) that score pairs with this model's weights."""
    fields = [name for name in LEVELS if present is None or name in present]
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": float(model.random_match),
        "comparisons": [comparison(model, name) for name in fields],
        "blocking_rules_to_generate_predictions": blocking_rules(),
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
    }
