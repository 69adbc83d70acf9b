"""The registration desk in a real Chromium: a refused household never wipes the family, the
tablet checks what the station's schema checks, a refused record comes back as a draft, and
the registrar sees codes, QR tags and prints after saving (issue 14)."""

from __future__ import annotations

import datetime as dt

import pytest
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from fieldreg import codes, create_app, forms, plausibility, tags
from fieldreg.db import connect
from fieldreg.schemas import messages
from fieldreg.schemas.records import HouseholdSchema
from tests.browser_fixtures import screenshot
from tests.test_browser_offline import COUNT, households, ready, until

pytestmark = pytest.mark.browser
TAG = codes.make_code("T3S", 5)
MISTYPED = TAG[:-2] + ("B" if TAG[-2] != "B" else "C") + TAG[-1]
LONG = "م" * 101
HEAD = [("given_name", "Maryam"), ("family_name", "Haddad"), ("sex", "female")]
CASES = {
    "valid": HEAD + [("age_years", "34")],
    "age 200": HEAD + [("age_years", "200")],
    "age -3": HEAD + [("age_years", "-3")],
    "age in letters": HEAD + [("age_years", "abc")],
    "age with a point": HEAD + [("age_years", "3.5")],
    "age in Arabic-Indic digits": HEAD + [("age_years", "٤٠")],
    "age with an underscore": HEAD + [("age_years", "3_0")],
    "birth in the future": HEAD + [("date_of_birth", "2999-01-01")],
    "birth before 1900": HEAD + [("date_of_birth", "1899-12-31")],
    "birth with slashes": HEAD + [("date_of_birth", "2016/5/4")],
    "birth as eight digits": HEAD + [("date_of_birth", "20160504")],
    "birth in Arabic-Indic digits": HEAD + [("date_of_birth", "٢٠١٦-٠٥-٠٤")],
    "birth day first": HEAD + [("date_of_birth", "04/05/2016")],
    "birth month 13": HEAD + [("date_of_birth", "2016-13-01")],
    "birth on 30 February": HEAD + [("date_of_birth", "2016-02-30")],
    "101-character name": [("given_name", LONG)],
    "100-character name": [("given_name", LONG[:100])],
    "no head name": [("family_name", "Haddad")],
    "member without a name": HEAD + [("m1-father_name", "Ahmad"), ("m1-age_years", "9")],
    "blank member block": HEAD + [("m2-sex", "male")],
    "mistyped tag": HEAD + [("tag_code", MISTYPED)],
    "tag typed loosely": HEAD
    + [("m1-given_name", "Ali"), ("m1-tag_code", TAG.lower().replace("-", " "))],
    "tag too long": HEAD + [("household_tag_code", TAG * 3)],
    "letters in the phone": HEAD + [("phone", "0933 abc")],
    "phone with signs": HEAD + [("phone", "+963 (933) 123-456")],
    "phone in Arabic-Indic digits": HEAD + [("phone", "٠٩٣٣١٢٣٤٥٦")],
    "unknown transport": HEAD + [("transport", "plane")],
    "unknown sex": [("given_name", "Sami"), ("sex", "x")],
    "unknown need": HEAD
    + [("vulnerabilities", "made_up"), ("household_vulnerabilities", "disability")],
    "long notes": HEAD + [("notes", "x" * 2001)],
    "41 members": HEAD + [(f"m{i}-given_name", f"Child {i}") for i in range(1, 41)],
    "age and birth disagree": HEAD + [("age_years", "40"), ("date_of_birth", "2020-01-01")],
    "a head of 12": [("given_name", "Lina"), ("age_years", "12")],
    "a head of 12 alone": [
        ("given_name", "Lina"),
        ("age_years", "12"),
        ("vulnerabilities", "unaccompanied_child"),
    ],  # fmt: skip
    "105 years old": HEAD + [("age_years", "105")],
    "a child older than the head": HEAD
    + [("age_years", "30"), ("m1-given_name", "Omar")]
    + [("m1-relationship", "child"), ("m1-age_years", "45")],
    "a parent younger than the head": HEAD
    + [("age_years", "50"), ("m1-given_name", "Huda")]
    + [("m1-relationship", "parent"), ("m1-age_years", "20")],
}


def station_verdict(app, pairs: list[tuple[str, str]], lang: str) -> dict:
    """What the station says of a posted form: schema errors, then its code check, warnings."""
    with app.test_request_context(headers={"Accept-Language": lang}):
        data, blocks = forms.household_from_form(MultiDict(pairs))
        errors, loaded = {}, None
        try:
            loaded = HouseholdSchema().load(data)
        except ValidationError as exc:
            errors = forms.errors_for_form(exc.messages, blocks)
        for name, value in pairs:
            typed = forms.western_digits(value)
            if name.endswith("tag_code") and name not in errors and codes.parse(typed) is None:
                errors[name] = [messages.NOT_A_CODE]
        found = plausibility.warnings(loaded, blocks) if loaded and not errors else {}
        plain = {k: [str(m) for m in v] for k, v in errors.items()}
        return {"errors": plain, "warnings": found}


def tablet_verdict(page, pairs: list[tuple[str, str]], today: str) -> dict:
    """What the tablet's own checks say of the same pairs (static/formcheck.js)."""
    return page.evaluate(
        """([pairs, today]) => {
          const rules = JSON.parse(document.querySelector('[data-register-form]').dataset.rules);
          const found = FieldRegCheck.check(FieldRegCheck.normalise(pairs, rules), rules, today);
          return {errors: found.errors, warnings: found.warnings};
        }""",
        [[list(p) for p in pairs], today],
    )


@pytest.mark.parametrize("lang", ["ar"])
def test_the_tablet_checks_what_the_schema_checks(tablet, station, lang):
    """One table of cases, the station's schema and the tablet's checks: the same verdicts."""
    tablet.context.add_cookies([{"name": "lang", "value": lang, "url": station.url}])
    tablet.reload()
    app = create_app({"DATA": str(station.data), "TESTING": True})
    today = dt.date.today().isoformat()
    differ = {}
    for name, pairs in CASES.items():
        station_says = station_verdict(app, pairs, lang)
        tablet_says = tablet_verdict(tablet, pairs, today)
        if station_says != tablet_says:
            differ[name] = (station_says, tablet_says)
    assert differ == {}
    refused = {n for n in CASES if station_verdict(app, CASES[n], lang)["errors"]}
    assert {"age 200", "birth in the future", "101-character name", "member without a name",
            "mistyped tag", "letters in the phone"} <= refused  # fmt: skip
    assert "valid" not in refused and "tag typed loosely" not in refused


def test_a_refused_household_keeps_the_family_and_says_why_at_the_fields(tablet, station):
    ready(tablet)
    tablet.context.add_cookies([{"name": "lang", "value": "ar", "url": station.url}])
    tablet.reload()
    tablet.fill("[name=given_name]", "مريم")
    tablet.fill("[name=age_years]", "200")
    tablet.fill("[name=phone]", "0933 abc")
    tablet.click("[data-add-member]")
    tablet.fill("[name='m1-father_name']", "أحمد")
    tablet.click("button[value=save]")
    errors = tablet.evaluate(
        "Object.fromEntries([...document.querySelectorAll('.field-error')]"
        ".map(e => [e.id, e.textContent]))"
    )
    assert set(errors) == {"msg-age_years", "msg-phone", "msg-m1-given_name"}
    assert errors["msg-m1-given_name"] == "مطلوب."
    assert tablet.input_value("[name=given_name]") == "مريم"
    assert tablet.input_value("[name='m1-father_name']") == "أحمد"
    assert tablet.get_attribute("[name=age_years]", "aria-invalid") == "true"
    assert tablet.is_visible("[data-form-summary]")
    tablet.wait_for_timeout(300)
    assert tablet.inner_text("[data-outbox-count]") == "0" and households(station) == []
    screenshot(tablet, "register-refused-ar")


def test_an_unusual_answer_asks_before_it_is_saved(tablet, station):
    ready(tablet)
    tablet.fill("[name=given_name]", "Maryam")
    tablet.fill("[name=age_years]", "40")
    tablet.fill("[name=date_of_birth]", "2020-01-01")
    tablet.click("button[value=save]")
    assert "does not match the date of birth" in tablet.inner_text(".field-warning")
    assert tablet.is_visible("[data-confirm-box]") and households(station) == []
    tablet.click("button[value=save_anyway]")
    until(tablet, "() => document.querySelector('[data-saved-panel]').hidden === false")
    until(tablet, COUNT, "0")
    assert len(households(station)) == 1


def test_after_saving_the_registrar_gets_codes_qr_tags_and_prints(tablet, station):
    ready(tablet)
    tablet.fill("[name=given_name]", "Maryam")
    tablet.fill("[name=age_years]", "34")
    tablet.click("[data-add-member]")
    tablet.fill("[name='m1-given_name']", "Omar")
    tablet.click("button[value=save]")
    panel = "[data-saved-panel]"
    until(tablet, "() => !!document.querySelector('[data-saved-panel] [data-hh-qr]:not([hidden])')")
    (row,) = households(station)
    assert row["code"] in tablet.inner_text(panel)
    links = tablet.eval_on_selector_all(
        panel + " a[data-saved-link]", "els => els.map(a => a.getAttribute('href'))"
    )
    base = f"/households/{row['code']}"
    assert links == [base + "/card", base + "/wristbands", base]
    assert tablet.eval_on_selector_all(panel + " img.qr", "els => els.length") == 3
    assert tablet.input_value("[name=given_name]") == ""
    screenshot(tablet, "register-saved-360")
    tablet.click(panel + " [data-register-next]")
    assert tablet.is_hidden(panel)
    assert tablet.evaluate("document.activeElement.name") == "given_name"


def test_a_record_the_station_refuses_later_comes_back_as_a_draft(tablet, station):
    """Saved offline with a tag already bound to someone: refused on delivery, never resent,
    reopened with the station's message at the tag field, corrected, delivered."""
    ready(tablet)
    db = connect(station.data / "fieldreg.db")
    (taken,) = tags.issue(db, "free", 1)
    db.execute("update codes set kind = 'person', record_id = 'someone' where code = ?", [taken])
    db.close()
    sent = []
    tablet.on(
        "requestfinished",
        lambda r: sent.append(r.url) if r.url.endswith("/api/v1/outbox") else None,
    )
    tablet.context.set_offline(True)
    tablet.fill("[name=given_name]", "Samira")
    tablet.fill("[name=father_name]", "Khalil")
    tablet.fill("[name=tag_code]", taken)
    tablet.click("button[value=save]")
    until(tablet, COUNT, "1")
    tablet.fill("[name=given_name]", "Next family")  # the registrar has moved on
    tablet.context.set_offline(False)
    tablet.click("[data-outbox-send]")
    until(tablet, "() => !!document.querySelector('[data-outbox-list] [data-state=fix]')")
    assert tablet.inner_text("[data-outbox-count]") == "1" and households(station) == []
    assert not tablet.is_hidden("[data-outbox-fix]")
    tablet.click("[data-outbox-send]")
    tablet.wait_for_timeout(500)
    assert len(sent) == 1, "a record that needs a fix is never sent again by itself"
    tablet.fill("[name=given_name]", "")
    tablet.click("[data-outbox-list] [data-fix]")
    until(tablet, "() => document.querySelector('[name=given_name]').value === 'Samira'")
    assert tablet.input_value("[name=father_name]") == "Khalil"
    assert "already used" in tablet.inner_text("#msg-tag_code")
    screenshot(tablet, "register-draft-to-fix")
    tablet.fill("[name=tag_code]", "")
    tablet.click("button[value=save]")
    until(tablet, COUNT, "0")
    (row,) = households(station)
    assert row["device_id"], "the draft kept its own code block and ids"


def test_a_double_tap_on_save_registers_the_family_once(tablet, station):
    """Issue 14 (a tired registrar): two taps on Save before the first is sealed made two
    households; a third tap on the emptied form hid the codes behind "Please correct"."""
    ready(tablet)
    tablet.fill("[name=given_name]", "Maryam")
    tablet.fill("[name=age_years]", "34")
    tablet.evaluate(
        "() => { const b = document.querySelector('button[value=save]'); b.click(); b.click(); }"
    )
    until(tablet, "() => !!document.querySelector('[data-saved-panel] [data-hh-qr]:not([hidden])')")
    until(tablet, COUNT, "0")
    tablet.wait_for_timeout(1000)
    assert len(households(station)) == 1
    tablet.click("button[value=save]")
    assert not tablet.is_hidden("[data-saved-panel]")
    assert tablet.is_hidden("[data-form-summary]")
    assert tablet.locator(".field-error").count() == 0


def test_leaving_a_half_typed_family_asks_first(tablet, station):
    """Issue 14 (a tired registrar checks search mid-family): a tap on a menu link dropped all
    that was typed, without a word; after a save, leaving asks nothing."""
    ready(tablet)
    asked = []
    tablet.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    tablet.fill("[name=given_name]", "Maryam")
    tablet.click("[data-add-member]")
    tablet.fill("[name='m1-given_name']", "Omar")
    tablet.click("label.menu-button")
    tablet.click(".menu-panel a[href='/search']", no_wait_after=True)
    tablet.wait_for_timeout(500)
    assert asked == ["beforeunload"] and tablet.url.endswith("/register")
    assert tablet.input_value("[name='m1-given_name']") == "Omar"
    tablet.click("button[value=save]")
    until(tablet, COUNT, "0")
    tablet.goto(station.url + "/search")
    assert asked == ["beforeunload"] and tablet.url.endswith("/search")
