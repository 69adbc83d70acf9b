"""Arabic and English: every page string translated, the switch, RTL, digits (issue 8)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from fieldreg.i18n import num

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "fieldreg/translations/ar/LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def page_strings() -> set[str]:
    """Extract every translatable string from the templates and the Python code."""
    with open(ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_page_string_has_an_arabic_translation():
    with open(CATALOG / "messages.po", "rb") as fh:
        catalog = read_po(fh, locale="ar")
    strings = page_strings()
    assert len(strings) > 150
    bad = []
    for text in sorted(strings):
        message = catalog.get(text)
        if message is None or not message.string or message.fuzzy:
            bad.append(text)
    assert bad == [], "untranslated (run `make messages` and translate): " + repr(bad)


def test_translations_keep_their_placeholders():
    with open(CATALOG / "messages.po", "rb") as fh:
        catalog = read_po(fh, locale="ar")
    problems = [(msg.id, errors) for msg, errors in catalog.check() if errors]
    assert problems == []
    # Positive control: the same check catches a translation that drops a placeholder.
    broken = Catalog(locale="ar")
    broken.add("%(n)s people", "%(m)s أشخاص", flags=["python-format"])
    assert [errors for _msg, errors in broken.check() if errors]


def test_compiled_catalog_matches_the_po():
    with open(CATALOG / "messages.po", "rb") as fh:
        po = {m.id: m.string for m in read_po(fh, locale="ar") if m.id}
    with open(CATALOG / "messages.mo", "rb") as fh:
        mo = {m.id: m.string for m in read_mo(fh) if m.id}
    assert mo == po, "messages.mo is stale: run `make messages`"


def test_arabic_page_is_right_to_left_and_translated(client, auth_actions):
    auth_actions.login("coordinator")
    client.set_cookie("lang", "ar")
    page = client.get("/dashboard").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert "لوحة المتابعة" in page and "الأشخاص المسجَّلون" in page
    assert "People registered" not in page


def test_browser_language_is_used_without_a_choice(client, auth_actions):
    auth_actions.user("registrar")
    page = client.get("/login", headers={"Accept-Language": "ar-SY,ar;q=0.9,en;q=0.5"})
    assert 'dir="rtl"' in page.get_data(as_text=True)
    page = client.get("/login", headers={"Accept-Language": "en-GB"})
    assert 'dir="ltr"' in page.get_data(as_text=True)


def test_switch_stores_the_users_choice_and_a_cookie(client, auth_actions, db):
    auth_actions.login("coordinator", "mona")
    csrf = auth_actions.csrf()
    answer = client.post(
        "/preferences", data={"lang": "ar", "digits": "arabic", "next": "/dashboard",
                              "csrf_token": csrf},
    )  # fmt: skip
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/dashboard")
    assert "lang=ar" in " ".join(answer.headers.getlist("Set-Cookie"))
    row = next(db.query("select lang, digits from users where username = 'mona'"))
    assert row == {"lang": "ar", "digits": "arabic"}
    client.delete_cookie("lang")
    client.delete_cookie("digits")
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'dir="rtl"' in page, "the stored preference wins without the cookie"
    assert "<b>٠</b>" in page, "figures in Arabic-Indic digits"


def test_switch_refuses_a_foreign_next_and_unknown_values(client, auth_actions):
    from tests.conftest import csrf_of

    auth_actions.user("registrar")
    answer = client.post(
        "/preferences",
        data={"lang": "xx", "next": "//evil.example/", "csrf_token": csrf_of(client)},
    )
    assert answer.status_code == 302 and "evil" not in answer.headers["Location"]
    assert "lang=" not in " ".join(answer.headers.getlist("Set-Cookie"))


def test_num_writes_arabic_indic_digits():
    assert num(1234, "arabic") == "١٢٣٤"
    assert num("2026-11-25 08:30", "arabic") == "٢٠٢٦-١١-٢٥ ٠٨:٣٠"
    assert num(1234, "western") == "1234"
    assert num(None, "arabic") == ""


def test_dates_stay_left_to_right_inside_arabic(client, auth_actions):
    auth_actions.login("coordinator")
    client.set_cookie("lang", "ar")
    page = client.get("/report?since=2026-11-20").get_data(as_text=True)
    assert "الوافدون من \u20662026-11-20\u2069 إلى الآن." in page


def test_m060_gives_users_language_and_digits(tmp_path):
    from fieldreg.db import connect, prepare

    db = connect(prepare(tmp_path / "blank"))
    assert {"lang", "digits"} <= set(db["users"].columns_dict)
