"""Words for synced records' columns (fieldreg/field_labels.py): every column a person edits."""

from fieldreg import field_labels
from sync import tables

# Columns nobody edits by hand: ids, clocks, bookkeeping (a conflict on them names the column).
BOOKKEEPING = {"id", "code", "client_id", "client_hash", "station", "phone_norm", "position",
               "household_id", "created_at", "updated_at", "created_by", "deleted",
               "boarding_closed_at", "boarding_closed_by", "arrival_closed_at",
               "arrival_closed_by"}  # fmt: skip


def test_every_edited_column_of_a_record_has_words(db):
    for tbl in ("households", "people", "convoys", "vehicles"):
        missing = set(tables.columns(db, tbl)) - BOOKKEEPING - set(field_labels.LABELS)
        assert not missing, (tbl, missing)


def test_codes_are_words_and_free_text_stays_as_typed(app):
    with app.test_request_context(headers={"Accept-Language": "ar"}):
        assert field_labels.field_label("given_name") == "الاسم"
        assert field_labels.field_value("sex", "female") == "أنثى"
        assert field_labels.field_value("notes", "female") == "female"
        assert field_labels.field_label("nonsense") == "nonsense"
