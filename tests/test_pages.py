"""The registrar's pages: set-up, login, register, see, correct, search, scan, print."""

import re

import pytest

from fieldreg import codes
from tests.conftest import PIN, csrf_of


def form_for(auth_actions, **fields):
    data = {"csrf_token": auth_actions.csrf(), "action": "save"}
    data.update(fields)
    return data


def test_healthz_is_open_and_says_nothing_else(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_data(as_text=True) == "ok"


def test_first_start_asks_for_setup_on_the_laptop_only(client, db):
    assert client.get("/login").headers["Location"].endswith("/setup")
    remote = client.get("/setup", environ_base={"REMOTE_ADDR": "192.168.1.20"})
    assert remote.status_code == 403
    page = client.get("/setup")
    assert page.status_code == 200
    posted = client.post(
        "/setup",
        data={
            "csrf_token": csrf_of(client),
            "station_name": "Gate 3",
            "station_code": "g4t",
            "username": "amal",
            "pin": "135790",
        },
    )
    assert posted.status_code == 302
    assert next(db.query("select value from settings where key='station_code'"))["value"] == "G4T"
    assert next(db.query("select role from users where username='amal'"))["role"] == "coordinator"
    assert client.get("/register").status_code == 200  # logged in straight away
    assert client.get("/setup").status_code == 302  # only once


def test_pages_need_login(client, auth_actions):
    auth_actions.user("registrar")
    for path in ["/", "/register", "/search", "/tags/sheet", "/scan?code=x"]:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_and_logout(client, auth_actions):
    auth_actions.user("registrar", "sami")
    bad = client.post(
        "/login", data={"username": "sami", "pin": "0000", "csrf_token": csrf_of(client)}
    )
    assert bad.status_code == 401
    good = client.post(
        "/login", data={"username": "sami", "pin": PIN, "csrf_token": csrf_of(client)}
    )
    assert good.status_code == 302
    assert client.get("/register").status_code == 200
    client.post("/logout", data={"csrf_token": auth_actions.csrf()})
    assert client.get("/register").status_code == 302


def test_the_login_page_says_who_is_already_logged_in(client, auth_actions):
    """Issue 14 (a newcomer's back button): back from the register page showed an empty login
    form, as if the registrar had been logged out."""
    assert "data-signed-in" not in client.get("/login").get_data(as_text=True)
    auth_actions.login("registrar", "sami")
    page = client.get("/login").get_data(as_text=True)
    assert "You are logged in as sami." in page and 'href="/"' in page
    client.set_cookie("lang", "ar")
    assert "أنت مسجَّل الدخول باسم sami." in client.get("/login").get_data(as_text=True)


def test_login_without_csrf_is_refused(client, auth_actions):
    auth_actions.user("registrar", "sami")
    response = client.post("/login", data={"username": "sami", "pin": PIN})
    assert response.status_code == 400


def test_register_a_household_of_five_from_the_form(client, auth_actions, db):
    auth_actions.login("registrar")
    fields = {
        "given_name": "أحمد",
        "father_name": "محمود",
        "family_name": "الشامي",
        "sex": "male",
        "age_years": "45",
        "relationship": "head",
        "transport": "pickup",
        "origin_district": "Homs",
        "destination_kind": "camp",
        "phone": "0944111222",
        "household_vulnerabilities": "female_headed_household",
    }
    for i, name in enumerate(["Rasha", "Yousef", "Maryam", "Ali"], start=1):
        fields.update(
            {
                f"m{i}-given_name": name,
                f"m{i}-sex": "female" if i % 2 else "male",
                f"m{i}-age_years": str(10 * i),
                f"m{i}-relationship": "child",
            }
        )
    fields["m4-age_estimated"] = "on"
    response = client.post("/register", data=form_for(auth_actions, **fields))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    hh_code = next(db.query("select code from households"))["code"]
    assert hh_code in page and "Register next" in page and "/card" in page
    assert next(db.query("select count(*) n from people"))["n"] == 5
    ali = next(db.query("select * from people where given_name = 'Ali'"))
    assert ali["age_estimated"] == 1 and ali["age_years"] == 40
    for code in [r["code"] for r in db.query("select code from people")]:
        assert code in page


def test_form_errors_are_shown_beside_fields_and_keep_what_was_typed(client, auth_actions, db):
    auth_actions.login("registrar")
    response = client.post(
        "/register",
        data=form_for(
            auth_actions,
            given_name="",
            family_name="Halabi",
            age_years="300",
            **{"m1-given_name": "Rami", "m1-age_years": "-1"},
        ),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="err-given_name"' in page and 'id="err-m1-age_years"' in page
    assert 'value="Halabi"' in page and 'value="Rami"' in page
    assert next(db.query("select count(*) n from households"))["n"] == 0


def test_add_member_without_javascript(client, auth_actions):
    auth_actions.login("registrar")
    response = client.post(
        "/register",
        data=form_for(
            auth_actions, action="add_member", given_name="Huda", **{"m1-given_name": "Sara"}
        ),
    )
    page = response.get_data(as_text=True)
    assert 'name="m2-given_name"' in page and 'value="Huda"' in page and 'value="Sara"' in page


def test_form_has_touch_friendly_inputs_and_no_external_urls(client, auth_actions):
    auth_actions.login("registrar")
    page = client.get("/register").get_data(as_text=True)
    for name in ["given_name", "father_name", "family_name", "sex", "age_years"]:
        assert f'name="{name}"' in page
    assert re.search(r'name="age_years"[^>]*inputmode="numeric"', page)
    assert "http://" not in page and "https://" not in page and "//cdn" not in page
    assert 'name="viewport"' in page


def register(client, api):
    from tests.conftest import household_body

    return client.post("/api/v1/households", json=household_body(), headers=api).json


def test_household_person_edit_and_print_pages(client, auth_actions, api):
    hh = register(client, api)
    auth_actions.login("registrar")
    assert hh["code"] in client.get(f"/households/{hh['code']}").get_data(as_text=True)
    person = hh["members"][0]["code"]
    assert "الحلبي" in client.get(f"/people/{person}").get_data(as_text=True)
    for path in ["card", "wristbands"]:
        page = client.get(f"/households/{hh['code']}/{path}").get_data(as_text=True)
        assert all(m["code"] in page for m in hh["members"])
        assert "@media print" not in page  # print CSS lives in the stylesheet
    edited = client.post(
        f"/households/{hh['code']}/edit",
        data={"csrf_token": auth_actions.csrf(), "transport": "ambulance", "phone": "0999 888 777"},
    )
    assert edited.status_code == 302
    got = client.get(f"/api/v1/households/{hh['code']}", headers=api).json
    assert got["arrival"]["transport"] == "ambulance" and got["phone"] == "0999 888 777"
    fixed = client.post(
        f"/people/{person}/edit",
        data={
            "csrf_token": auth_actions.csrf(),
            "given_name": "محمد",
            "family_name": "الحلبي",
            "sex": "male",
            "age_years": "42",
            "age_estimated": "on",
        },
    )
    assert fixed.status_code == 302
    assert client.get(f"/api/v1/people/{person}", headers=api).json["age_years"] == 42
    added = client.post(
        f"/households/{hh['code']}/members/new",
        data={"csrf_token": auth_actions.csrf(), "given_name": "Nour", "sex": "female"},
    )
    assert added.status_code == 302
    bad = client.post(
        f"/households/{hh['code']}/members/new",
        data={"csrf_token": auth_actions.csrf(), "given_name": "", "sex": "x"},
    )
    assert bad.status_code == 400


def test_search_and_scan_pages(client, auth_actions, api):
    hh = register(client, api)
    auth_actions.login("registrar")
    page = client.get("/search", query_string={"q": "Mohammed Halabi"}).get_data(as_text=True)
    assert hh["members"][0]["code"] in page
    age = hh["members"][0]["age_years"]  # issue 14: a bare figure beside the name
    assert f'<span class="muted">{age} years</span>' in page
    scanned = client.get("/scan", query_string={"code": hh["code"].lower()})
    assert scanned.status_code == 302 and scanned.headers["Location"].endswith(hh["code"])
    person = client.get("/scan", query_string={"code": hh["members"][1]["code"]})
    assert "/people/" in person.headers["Location"]
    typo = client.get("/scan", query_string={"code": "T3S-22222A"})
    assert typo.status_code == 400 and "not a valid code" in typo.get_data(as_text=True)
    unknown = client.get("/scan", query_string={"code": codes.make_code("T3S", 5000)})
    assert unknown.status_code == 404


def test_sheet_of_fresh_codes_binds_later(client, auth_actions, db):
    auth_actions.login("registrar")
    page = client.post("/tags/sheet", data={"csrf_token": auth_actions.csrf(), "count": "6"})
    free = [r["code"] for r in db.query("select code from codes where kind = 'free'")]
    assert len(free) == 6 and all(code in page.get_data(as_text=True) for code in free)
    bad = client.post("/tags/sheet", data={"csrf_token": auth_actions.csrf(), "count": "9999"})
    assert bad.status_code == 400
    response = client.post(
        "/register",
        data=form_for(
            auth_actions, given_name="Salma", household_tag_code=free[0], tag_code=free[1]
        ),
    )
    assert response.status_code == 302
    assert next(db.query("select code from households"))["code"] == free[0]
    assert next(db.query("select code from people"))["code"] == free[1]


def test_set_up_names_every_missing_field_at_once(client):
    """Issue 14: the set-up page named one missing field per try."""
    posted = client.post("/setup", data={"csrf_token": csrf_of(client)})
    page = posted.get_data(as_text=True)
    assert posted.status_code == 400
    for name in ("station_name", "station_code", "username", "pin"):
        assert f'id="err-{name}"' in page, name


def test_the_login_page_says_when_an_account_is_locked(client, auth_actions, db):
    from fieldreg import auth

    auth_actions.user("registrar", "omar")
    wrong = {"username": "omar", "pin": "0000", "csrf_token": csrf_of(client)}
    first = client.post("/login", data=wrong).get_data(as_text=True)
    assert "Wrong user name or PIN." in first and "locked" not in first
    for _attempt in range(auth.MAX_FAILURES - 1):
        client.post("/login", data=wrong)
    right = {"username": "omar", "pin": PIN, "csrf_token": csrf_of(client)}
    locked = client.post("/login", data=right)
    assert locked.status_code == 401
    assert "This account is locked after too many wrong PINs" in locked.get_data(as_text=True)


def test_lock_now_is_for_coordinators_and_asks_first(client, auth_actions):
    auth_actions.login("registrar")
    page = client.get("/search").get_data(as_text=True)
    assert "Lock now" not in page and "Log out" in page
    assert client.get("/lock").status_code == 403
    auth_actions.login("coordinator")
    page = client.get("/search").get_data(as_text=True)
    assert 'class="lock" action="/lock" method="get"' in page and "data-confirm=" in page
    confirm = client.get("/lock")
    assert confirm.status_code == 200 and "Lock the station now?" in confirm.get_data(as_text=True)
    assert client.get("/search").status_code == 200, "asking locks nothing"


def test_a_favicon_and_whole_words_for_one_second(client, auth_actions, monkeypatch):
    from fieldreg.views import medical

    assert client.get("/favicon.ico").mimetype == "image/svg+xml"
    assert 'rel="icon" href="/static/favicon.svg"' in client.get("/setup").get_data(as_text=True)
    assert client.get("/static/favicon.svg").status_code == 200
    auth_actions.login("medic")
    monkeypatch.setattr(medical, "REFRESH_SECONDS", 1)
    assert "Updates every 1 second." in client.get("/medical").get_data(as_text=True)
    monkeypatch.setattr(medical, "REFRESH_SECONDS", 15)
    assert "Updates every 15 seconds." in client.get("/medical").get_data(as_text=True)


def test_without_javascript_an_unusual_answer_asks_before_saving(client, auth_actions, db):
    auth_actions.login("registrar")
    form = {"csrf_token": auth_actions.csrf(), "given_name": "Lina", "age_years": "12",
            "action": "save"}  # fmt: skip
    asked = client.post("/register", data=form)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "The head of household is 12" in page
    assert 'value="save_anyway"' in page and db.table("households").count == 0
    saved = client.post("/register", data={**form, "action": "save_anyway"})
    assert saved.status_code == 302 and db.table("households").count == 1


def test_the_form_reads_arabic_indic_digits_and_year_first_dates(client, auth_actions, db):
    auth_actions.login("registrar")
    form = {"csrf_token": auth_actions.csrf(), "given_name": "Omar", "age_years": "٩",
            "date_of_birth": "٢٠١٦/٥/٤", "relationship": "head", "vulnerabilities":
            "separated_child", "action": "save"}  # fmt: skip
    assert client.post("/register", data=form).status_code == 302
    row = next(db.query("select age_years, date_of_birth from people"))
    assert row == {"age_years": 9, "date_of_birth": "2016-05-04"}


def test_a_household_page_in_arabic_lists_members_with_arabic_commas(client, auth_actions, api):
    """Issue 14 (a newcomer in Arabic): members read "أنثى, 34 سنة" with a Latin comma, and a
    member registered without a sex would have read "None"."""
    from tests.conftest import household_body

    body = household_body()
    body["members"][0].pop("sex", None)
    hh = client.post("/api/v1/households", json=body, headers=api).json
    auth_actions.login("registrar")
    client.set_cookie("lang", "ar")
    page = client.get(f"/households/{hh['code']}").get_data(as_text=True)
    members = re.findall(r'<span class="muted">([^<]*)</span>', page)
    assert members and all("," not in m and "None" not in m and "، " in m for m in members)


def test_search_results_say_who_has_left_in_the_page_language(client, auth_actions, api):
    hh = register(client, api)
    gone, stays = hh["members"][0]["code"], hh["members"][1]["code"]
    moved = client.post(f"/api/v1/people/{gone}/movements", json={"kind": "departed"}, headers=api)
    assert moved.status_code == 201
    auth_actions.login("registrar")
    page = client.get("/search", query_string={"q": hh["code"]}).get_data(as_text=True)
    rows = {m["code"]: re.search(rf"<li>(?:(?!</li>).)*{m['code']}", page, re.S)[0]
            for m in hh["members"]}  # fmt: skip
    assert 'data-status="departed">Left<' in rows[gone]
    assert "data-status" not in rows[stays]
    client.set_cookie("lang", "ar")
    arabic = client.get("/search", query_string={"q": hh["code"]}).get_data(as_text=True)
    assert 'data-status="departed">غادر<' in arabic
    found = client.get("/api/v1/search", query_string={"q": gone}, headers=api).json
    assert found["results"][0]["status"] == "departed"


def test_the_household_edit_page_heads_its_needs_with_a_legend(client, auth_actions, api):
    hh = register(client, api)
    auth_actions.login("registrar")
    page = client.get(f"/households/{hh['code']}/edit").get_data(as_text=True)
    needs = re.search(r"<fieldset[^>]*>\s*<legend>([^<]*)</legend>(.*?)</fieldset>", page, re.S)
    assert needs and needs[1] == "Household needs"
    assert needs[2].count('name="household_vulnerabilities"') >= 3


def person_edit(auth_actions, nxt=None):
    data = {"csrf_token": auth_actions.csrf(), "given_name": "Muhammad", "sex": "male"}
    return data if nxt is None else {**data, "next": nxt}


def test_a_person_edit_returns_where_it_was_opened_and_never_off_the_site(
    client, auth_actions, api
):
    hh = register(client, api)
    person = hh["members"][0]["code"]
    auth_actions.login("registrar")
    opened = client.get(f"/people/{person}").get_data(as_text=True)
    link = f"/people/{person}/edit?next=/people/{person}"
    assert f'href="{link}"' in opened
    form = client.get(link).get_data(as_text=True)
    assert f'name="next" value="/people/{person}"' in form
    assert f'class="button secondary" href="/people/{person}"' in form  # Cancel goes back too
    page = f"/people/{person}"
    back = client.post(f"{page}/edit", data=person_edit(auth_actions, page))
    assert back.status_code == 302 and back.headers["Location"] == f"/people/{person}"
    plain = client.post(f"/people/{person}/edit", data=person_edit(auth_actions))
    assert plain.headers["Location"] == f"/households/{hh['code']}"
    hostile = ["https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example",
               "/\t/evil.example", "javascript:alert(1)", "http:/evil.example"]  # fmt: skip
    for nxt in hostile:
        answer = client.post(f"/people/{person}/edit", data=person_edit(auth_actions, nxt))
        assert answer.headers["Location"] == f"/households/{hh['code']}", nxt
        page = client.get(f"/people/{person}/edit", query_string={"next": nxt})
        form = page.get_data(as_text=True).split("<main>")[1]  # not the header's own links
        assert "evil" not in form and f'href="/households/{hh["code"]}">Cancel' in form, nxt


@pytest.mark.parametrize("nxt", ["/\\evil.example/", "/\t/evil.example/", "/\\/evil.example"])
def test_login_never_follows_a_next_a_browser_reads_as_another_site(client, auth_actions, nxt):
    auth_actions.user("registrar")
    answer = client.post(
        "/login",
        query_string={"next": nxt},
        data={"csrf_token": csrf_of(client), "username": "registrar", "pin": PIN},
    )
    assert answer.status_code == 302 and "evil" not in answer.headers["Location"]
