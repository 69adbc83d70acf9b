"""Login (fieldreg/auth.py): the PIN lockout under parallel guesses, its duration, weak PINs,
and refusals that take the same work whether the user exists or not (issue 13)."""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest

from fieldreg import auth
from fieldreg.db import connect
from fieldreg.errors import DomainError, NotFound
from tests.conftest import PIN, csrf_of

T0 = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock(monkeypatch):
    """Move auth's clock by hand."""
    now = [T0]
    monkeypatch.setattr(auth, "_now", lambda: now[0])
    return now


@pytest.fixture
def rana(db):
    return auth.add_user(db, "rana", "registrar", PIN)


class CountingHasher:
    """The argon2 hasher, noting which hash each comparison was made against."""

    def __init__(self, real):
        self.real, self.compared, self.mutex = real, [], threading.Lock()

    def hash(self, pin):
        return self.real.hash(pin)

    def verify(self, pin_hash, pin):
        with self.mutex:
            self.compared.append((pin_hash, pin))
        return self.real.verify(pin_hash, pin)


@pytest.fixture
def hasher(monkeypatch):
    counting = CountingHasher(auth.HASHER)
    monkeypatch.setattr(auth, "HASHER", counting)
    return counting


def state(db, name="rana"):
    row = db.execute(
        "select failed_logins, locked_until from users where username = ?", [name]
    ).fetchone()
    return row[0], row[1] and dt.datetime.fromisoformat(row[1])


def test_parallel_wrong_pins_each_count_and_the_lock_stops_the_rest(app, rana, hasher):
    """30 guesses at once: each is counted before its PIN is compared; only 5 are compared."""
    guesses = [f"{n:06d}" for n in range(100_001, 100_031)]
    guesses[17] = PIN  # the right PIN among them: too late, the user is locked by then
    start, results = threading.Barrier(len(guesses)), {}

    def guess(pin):
        db = connect(app.config["DATABASE"])
        try:
            start.wait()
            results[pin] = auth.login(db, "rana", pin)
        finally:
            db.close()

    threads = [threading.Thread(target=guess, args=(pin,)) for pin in guesses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    db = connect(app.config["DATABASE"])
    failures, locked_until = state(db)
    failed = db.execute("select count(*) from audit where action = 'login_failed'").fetchone()[0]
    db.close()
    compared = [pin for pin_hash, pin in hasher.compared if pin_hash == rana["pin_hash"]]
    assert len(compared) == auth.MAX_FAILURES
    assert failures == auth.MAX_FAILURES and locked_until is not None
    assert failed == len(guesses)  # every guess is in the audit log
    assert all(results[pin] is None for pin in guesses if pin != PIN)
    assert results[PIN] is None or PIN in compared  # let in only if it was among those compared


def test_the_lock_lasts_five_minutes_then_doubles_and_expires(db, rana, clock):
    for _ in range(auth.MAX_FAILURES):
        assert auth.login(db, "rana", "000111") is None
    assert state(db) == (5, T0 + dt.timedelta(minutes=5))
    clock[0] = T0 + dt.timedelta(minutes=4, seconds=59)
    assert auth.login(db, "rana", PIN) is None  # still locked: even the right PIN
    assert state(db) == (5, T0 + dt.timedelta(minutes=5))  # a refusal while locked adds nothing
    clock[0] = T0 + dt.timedelta(minutes=5)
    assert auth.login(db, "rana", "000111") is None  # expired: one more guess, now 10 minutes
    assert state(db) == (6, clock[0] + dt.timedelta(minutes=10))
    clock[0] += dt.timedelta(minutes=10)
    assert auth.login(db, "rana", "000111") is None
    assert state(db) == (7, clock[0] + dt.timedelta(minutes=20))
    clock[0] += dt.timedelta(minutes=19)
    assert auth.login(db, "rana", PIN) is None
    clock[0] += dt.timedelta(minutes=1)
    assert auth.login(db, "rana", PIN)["username"] == "rana"  # expired: the right PIN works
    assert state(db) == (0, None)


def test_the_lock_never_passes_a_day(db, rana, clock):
    db.execute("update users set failed_logins = 40 where username = 'rana'")
    assert auth.login(db, "rana", "000111") is None
    assert state(db) == (41, T0 + dt.timedelta(days=1))
    assert [auth.lock_minutes(n) for n in (4, 5, 6, 7, 8)] == [0, 5, 10, 20, 40]


def test_fewer_failures_than_the_limit_lock_nothing_and_a_login_clears_them(db, rana, clock):
    for _ in range(auth.MAX_FAILURES - 1):
        auth.login(db, "rana", "000111")
    assert state(db) == (4, None)
    assert auth.login(db, "rana", PIN)["username"] == "rana"
    assert state(db) == (0, None)


@pytest.mark.parametrize("name", ["nobody", "rana", "disabled"])
def test_every_refusal_pays_the_hash(db, rana, hasher, name):
    """Unknown, disabled and known user names cost the same argon2 work (no user oracle)."""
    auth.set_disabled(db, auth.add_user(db, "disabled", "medic", PIN)["id"], True)
    hasher.compared.clear()
    assert auth.login(db, name, "000111") is None
    assert len(hasher.compared) == 1 and hasher.compared[0][0].startswith("$argon2id$v=19$m=19456")
    assert hasher.compared[0][1] == "000111"  # the typed PIN, as for a known user (issue 16)


def test_a_locked_user_pays_the_hash_too(db, rana, hasher, clock):
    for _ in range(auth.MAX_FAILURES):
        auth.login(db, "rana", "000111")
    hasher.compared.clear()
    assert auth.login(db, "rana", PIN) is None
    assert len(hasher.compared) == 1 and hasher.compared[0][0] != rana["pin_hash"]


@pytest.mark.parametrize(
    "pin",
    ["1234", "0000", "9999", "4321", "7890", "1212", "2580", "123456", "654321", "111111"]
    + ["121212", "123123", "112233", "012345"],
)
def test_weak_pins_are_refused_for_everyone(db, pin):
    with pytest.raises(DomainError, match="too easy"):
        auth.add_user(db, "sami", "registrar", pin)


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_coordinators_and_admins_need_six_digits(db, role):
    with pytest.raises(DomainError, match="at least 6 digits"):
        auth.add_user(db, "boss", role, "4729")
    assert auth.add_user(db, "boss", role, "472913")["role"] == role
    assert auth.add_user(db, "reg", "registrar", "4729")["role"] == "registrar"


def test_the_set_up_page_refuses_a_weak_or_short_pin(client, db):
    form = {"station_name": "Gate", "station_code": "G4T", "username": "amal"}
    for pin in ("4729", "123456"):
        refused = client.post("/setup", data={**form, "pin": pin, "csrf_token": csrf_of(client)})
        assert refused.status_code == 400
    assert not auth.has_users(db)
    made = client.post("/setup", data={**form, "pin": PIN, "csrf_token": csrf_of(client)})
    assert made.status_code == 302


def test_the_users_page_refuses_a_short_pin_for_a_coordinator(client, auth_actions, db):
    auth_actions.login("admin")
    page = client.get("/admin/users").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"username": "lina", "role": "coordinator", "pin": "4729", "csrf_token": csrf}
    assert client.post("/admin/users", data=form).status_code == 400
    assert not list(db.query("select 1 from users where username = 'lina'"))
    assert client.post("/admin/users", data={**form, "pin": "472913"}).status_code in (200, 302)
    assert list(db.query("select 1 from users where username = 'lina'"))


def audit_trail(db) -> list[tuple]:
    """Return the audit log's (actor, action, tbl, record_id, detail), oldest first."""
    return [tuple(row) for row in db.execute(
        "select actor, action, tbl, record_id, detail from audit where action like 'login%' "
        "order by rowid"
    )]  # fmt: skip


def test_every_login_attempt_is_in_the_audit_log_with_its_reason(db, rana, clock):
    """Issue 16: who tried, on which user, and why it was refused: what a coordinator reads."""
    long_name = "x" * 50
    assert auth.login(db, long_name, PIN) is None
    assert auth.login(db, None, PIN) is None
    assert auth.login(db, "rana", "000111") is None
    signed_in = auth.login(db, "rana", PIN)
    assert {k: v for k, v in signed_in.items() if k != "failed_logins"} == rana_row(db)
    for _ in range(auth.MAX_FAILURES):
        auth.login(db, "rana", "000111")
    assert auth.login(db, "rana", PIN) is None
    user = ("users", rana["id"])
    assert audit_trail(db) == [
        ("x" * 40, "login_failed", None, None, "unknown user"),
        (None, "login_failed", None, None, "unknown user"),
        ("rana", "login_failed", *user, "wrong pin"),
        ("rana", "login", *user, None),
        *[("rana", "login_failed", *user, "wrong pin")] * auth.MAX_FAILURES,
        ("rana", "login_failed", *user, "locked"),
    ]


def rana_row(db) -> dict:
    """Return what login hands back for rana, less the failure count."""
    row = db.execute("select id, username, role, pin_hash from users where username = 'rana'")
    return dict(zip(("id", "username", "role", "pin_hash"), row.fetchone(), strict=True))


def test_a_coordinator_unlocks_a_user_at_once(db, rana, clock):
    """Issue 16: the lock and the count are gone, the unlock is audited, a wrong id is refused."""
    for _ in range(auth.MAX_FAILURES):
        auth.login(db, "rana", "000111")
    auth.unlock_user(db, rana["id"], actor="amal")
    assert state(db) == (0, None)
    assert auth.login(db, "rana", PIN)["username"] == "rana"
    unlock = db.execute("select actor, tbl, record_id, detail from audit "
                        "where action = 'user_unlock'").fetchall()  # fmt: skip
    assert [tuple(row) for row in unlock] == [("amal", "users", rana["id"], "rana")]
    with pytest.raises(NotFound):
        auth.unlock_user(db, "no-such-id", actor="amal")


@pytest.mark.parametrize(
    ("pin", "role", "message", "field"),
    [
        ("47a9", None, "A PIN is 4 to 12 digits.", "4 to 12 digits."),
        ("4729135816472", None, "A PIN is 4 to 12 digits.", "4 to 12 digits."),
        (None, None, "A PIN is 4 to 12 digits.", "4 to 12 digits."),
        ("47291", "admin", "A admin's PIN has at least 6 digits.", "At least 6 digits."),
        (
            "11111",
            None,
            "This PIN is too easy to guess (a repeated digit, a run or a common PIN).",
            "Too easy to guess.",
        ),  # fmt: skip
        (
            "7777777",
            None,
            "This PIN is too easy to guess (a repeated digit, a run or a common PIN).",
            "Too easy to guess.",
        ),  # fmt: skip
    ],
)
def test_a_refused_pin_says_why_beside_the_pin_field(pin, role, message, field):
    """Issue 16: the page shows the reason next to the PIN box (letters, length, 12, weak)."""
    with pytest.raises(DomainError) as refused:
        auth.check_pin(pin, role)
    assert (refused.value.message, refused.value.fields) == (message, {"pin": [field]})


@pytest.mark.parametrize("pin", ["4729", "47477", "472913", "472913581647"])
def test_ordinary_pins_are_accepted(pin):
    """Issue 16: two digits alternating unevenly, 12 digits: nothing easy to guess."""
    auth.check_pin(pin, "admin" if len(pin) >= 6 else None)
    assert not auth.weak_pin(pin)


def test_a_refused_pin_says_why_in_the_page_language(client, auth_actions, db):
    """Issue 14 (a newcomer's first start): set-up refused "1234" with "4 to 12 digits." under
    a label asking for 6-12; the users page said "At least 6 digits." in English to an Arabic
    coordinator and forgot the chosen role."""
    form = {"station_name": "Bab", "station_code": "K7M", "username": "coord"}
    said = {}
    for pin in ("1234", "131313", "4729"):
        page = client.post("/setup", data={**form, "pin": pin, "csrf_token": csrf_of(client)})
        said[pin] = re.search(r'id="err-pin">([^<]*)<', page.get_data(as_text=True)).group(1)
    assert said == {"1234": "6 to 12 digits.", "4729": "6 to 12 digits."} | {
        "131313": "Too easy to guess: no repeated digit, run or common PIN such as 1234."
    }
    auth_actions.login("admin")
    arabic = {"Accept-Language": "ar"}
    page = client.get("/admin/users", headers=arabic).get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"username": "lina", "role": "coordinator", "pin": "58201", "csrf_token": csrf}
    refused = client.post("/admin/users", data=form, headers=arabic).get_data(as_text=True)
    assert "من 6 إلى 12 رقمًا." in refused and "At least" not in refused
    assert '<option value="coordinator" selected>' in refused
    bad_name = client.post("/admin/users", data={**form, "username": "a b", "pin": "472913"})
    assert "1-40 letters or digits" in bad_name.get_data(as_text=True)


def test_the_users_page_offers_what_applies_and_not_disabling_oneself(client, auth_actions, db):
    """Issue 14 (a newcomer coordinator): every user had "Unlock" though none was locked, and
    the coordinator could disable their own account, leaving the station without one."""
    auth_actions.user("registrar", "rana")
    auth_actions.login("coordinator", "boss")
    page = client.get("/admin/users").get_data(as_text=True)
    assert "/unlock" not in page and "(you)" in page
    own = next(db.query("select id from users where username = 'boss'"))["id"]
    assert f"/admin/users/{own}/disable" not in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    refused = client.post(f"/admin/users/{own}/disable", data={"csrf_token": csrf})
    assert refused.status_code == 409
    assert not next(db.query("select disabled from users where id = ?", [own]))["disabled"]
    db.execute(
        "update users set locked_until = '2999-01-01T00:00:00+00:00' where username = 'rana'"
    )
    assert "/unlock" in client.get("/admin/users").get_data(as_text=True)
