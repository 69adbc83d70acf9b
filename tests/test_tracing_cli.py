"""The tracing commands as users run them, each in a fresh process (issue 19)."""

from __future__ import annotations

from fieldreg import records, tracing
from fieldreg.db import connect, prepare
from tests.test_cli_commands import fr
from tests.test_tracing import FAMILY, SAID
from tests.test_tracing_pfif import HOSTILE, PARTNER


def test_match_export_and_import_in_fresh_processes(tmp_path):
    data = tmp_path / "data"
    db = connect(prepare(data))
    child, _ = records.create_household(db, {"members": [
        {"given_name": "عمر", "sex": "male", "age_years": 7}]}, "reg")  # fmt: skip
    tracing.open_case(db, {"kind": "child", "person_code": child["members"][0]["code"],
                           "consent_share": True, **SAID}, "reg")  # fmt: skip
    records.create_household(db, FAMILY, "reg")
    db.close()
    assert "1 new possible matches." in fr(data, "tracing", "match").stdout
    assert "0 new possible matches." in fr(data, "tracing", "match").stdout
    out = tmp_path / "out.xml"
    fr(data, "tracing", "export", str(out))
    assert "believed_alive" in out.read_text() and "عمر" in out.read_text()
    partner = tmp_path / "partner.xml"
    partner.write_text(PARTNER)
    assert "1 new, 0 updated, 0 skipped." in fr(data, "tracing", "import", str(partner)).stdout
    hostile = tmp_path / "hostile.xml"
    hostile.write_bytes(HOSTILE["billion laughs"])
    refused = fr(data, "tracing", "import", str(hostile), ok=False)
    assert refused.returncode != 0 and "DOCTYPE" in refused.stdout + refused.stderr
    assert "Traceback" not in refused.stderr
