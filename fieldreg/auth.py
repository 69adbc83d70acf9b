"""Users, PINs, sessions and API tokens. The only writer of users, sessions and api_tokens.

PINs are hashed with argon2. A session or token is a random secret given to the client once;
only its SHA-256 is stored, so a copied database does not log anyone in.

A login attempt is counted as a failure *before* its PIN is compared: one UPDATE checks the
user is not locked and adds one to the failures, under the write lock, so N guesses sent at
once cost N attempts (and the ones past the limit are not compared at all). A right PIN then
takes its attempt back. From the 5th failure the user is locked, 5 minutes doubling with each
further failure (at most a day). An unknown user name costs the same argon2 work as a known
one, so the time of a refusal does not tell which names exist.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from itertools import pairwise

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlite_utils import Database

from fieldreg import audit
from fieldreg.config import ROLES
from fieldreg.db import rows as db_rows
from fieldreg.db import write
from fieldreg.errors import Conflict, DomainError, NotFound
from fieldreg.records import new_id

HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
MAX_FAILURES = 5
LOCK_MINUTES = 5
MAX_LOCK_MINUTES = 24 * 60
# Who can change users, tokens, exports and lock the station gets a longer PIN.
LONG_PIN_ROLES = {"coordinator": 6, "admin": 6}
# Patterns aside (repeats, runs), the PINs people choose most often.
COMMON_PINS = {"2580", "0852", "1004", "2000", "2001", "1122", "6969", "1313", "2525"}
COMMON_PINS |= {"112233", "123321", "159753", "147258", "258369", "147852", "0007", "1221"}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _stamp(moment: dt.datetime) -> str:
    """Write a time so that stamps compare as text in SQL (always with microseconds)."""
    return moment.isoformat(timespec="microseconds")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def weak_pin(pin: str) -> bool:
    """Tell whether a PIN is trivially guessed: one digit repeated, a run, a short pattern."""
    if len(set(pin)) == 1 or pin in COMMON_PINS:
        return True
    steps = {(int(b) - int(a)) % 10 for a, b in pairwise(pin)}
    if steps in ({1}, {9}):  # 1234, 4321, 7890
        return True
    return any(len(pin) % n == 0 and pin == pin[:n] * (len(pin) // n) for n in (2, 3))


def check_pin(pin: str, role: str | None = None) -> None:
    """Refuse a PIN that is not 4 to 12 digits (6 for coordinators and admins), or is weak."""
    if not (isinstance(pin, str) and pin.isdigit() and 4 <= len(pin) <= 12):
        raise DomainError("A PIN is 4 to 12 digits.", {"pin": ["4 to 12 digits."]})
    shortest = LONG_PIN_ROLES.get(role, 4)
    if len(pin) < shortest:
        message = f"A {role}'s PIN has at least {shortest} digits."
        raise DomainError(message, {"pin": [f"At least {shortest} digits."]})
    if weak_pin(pin):
        message = "This PIN is too easy to guess (a repeated digit, a run or a common PIN)."
        raise DomainError(message, {"pin": ["Too easy to guess."]})


def add_user(db: Database, username: str, role: str, pin: str, actor: str | None = None) -> dict:
    """Create a user with a role and a PIN."""
    username = (username or "").strip()
    if (
        not username
        or len(username) > 40
        or not username.replace("_", "").replace(".", "").isalnum()
    ):
        raise DomainError("A user name is 1-40 letters or digits.", {"username": ["Invalid."]})
    if role not in ROLES:
        raise DomainError(f"Unknown role {role!r}.", {"role": [f"One of: {', '.join(ROLES)}."]})
    check_pin(pin, role)
    with write(db):
        if list(db.query("select 1 from users where username = ?", [username])):
            raise Conflict("This user name is taken.", {"username": ["Taken."]})
        user = {
            "id": new_id(),
            "username": username,
            "role": role,
            "pin_hash": HASHER.hash(pin),
            "created_at": _now().isoformat(timespec="seconds"),
        }
        db.table("users").insert(user)
        audit.log(db, actor, "user_add", "users", user["id"], f"{username}:{role}")
    return user


def has_users(db: Database) -> bool:
    """Tell whether any user exists (no user yet means the station needs setting up)."""
    return bool(list(db.query("select 1 from users limit 1")))


def list_users(db: Database) -> list[dict]:
    """Return the users without their PIN hashes."""
    return list(
        db.query("select id, username, role, disabled, locked_until from users order by username")
    )


@functools.cache
def _decoy_hash() -> str:
    """Return a hash of no one's PIN, to compare against when there is no user to check."""
    return HASHER.hash(secrets.token_hex(8))


def pin_matches(pin_hash: str, pin: str) -> bool:
    """Compare a PIN with its argon2 hash (the slow step every refusal pays too)."""
    # Each "pragma: no mutate" in this module (issue 16, make mutate) marks mutants nobody can
    # tell apart: a stand-in for a missing PIN is no one's PIN (PINs are digits), the row has
    # every field, and 5 minutes doubled 20 or 21 times are both far past the day's cap.
    given = pin or ""  # pragma: no mutate
    try:
        return HASHER.verify(pin_hash, given)
    except (VerificationError, InvalidHashError):
        return False


def lock_minutes(failures: int) -> int:
    """Return how long a user is locked after this many failures in a row (0: not locked)."""
    if failures < MAX_FAILURES:
        return 0
    doublings = failures - MAX_FAILURES
    doublings = min(doublings, 20)  # pragma: no mutate (bounds the power; the cap is a day)
    return min(LOCK_MINUTES * 2**doublings, MAX_LOCK_MINUTES)


def login(db: Database, username: str, pin: str, device: str | None = None) -> dict | None:
    """Check a user name and PIN; return the user or None, counting failures and locking."""
    name = (username or "").strip()
    user, refusal = _count_attempt(db, name, _now())
    if user is None or refusal:
        pin_matches(_decoy_hash(), pin)  # the same work as a wrong PIN of a known user
    elif pin_matches(user["pin_hash"], pin):
        _take_attempt_back(db, user)
        return user
    else:
        refusal = "wrong pin"
    with write(db):
        if user is None:
            audit.log(db, name[:40] or None, "login_failed", detail=refusal)
        else:
            audit.log(db, user["username"], "login_failed", "users", user["id"], refusal)
    return None


def _count_attempt(db: Database, name: str, now: dt.datetime) -> tuple[dict | None, str | None]:
    """Count an attempt as a failure before its PIN is compared; return the user and a refusal.

    One UPDATE checks the lock and adds the failure, under the write lock: attempts sent at
    once are each counted, and those past the limit find the user locked.
    """
    with write(db):
        row = db.execute(
            "update users set failed_logins = failed_logins + 1 where username = ? "
            "and not disabled and (locked_until is null or locked_until <= ?) "
            "returning id, username, role, pin_hash, failed_logins",
            [name, _stamp(now)],
        ).fetchone()
        if row is None:
            known = db.execute(
                "select id, username, disabled from users where username = ?", [name]
            ).fetchone()
            if known is None or known[2]:
                return None, "unknown user"
            return {"id": known[0], "username": known[1]}, "locked"
        keys = ("id", "username", "role", "pin_hash", "failed_logins")
        user = dict(zip(keys, row, strict=True))  # pragma: no mutate
        minutes = lock_minutes(user["failed_logins"])
        if minutes:
            until = _stamp(now + dt.timedelta(minutes=minutes))
            db.execute("update users set locked_until = ? where id = ?", [until, user["id"]])
    return user, None


def _take_attempt_back(db: Database, user: dict) -> None:
    """Clear the failures after a right PIN (only our own attempt if others came meanwhile)."""
    with write(db):
        db.execute(
            "update users set locked_until = case when failed_logins = ? then null "
            "else locked_until end, failed_logins = case when failed_logins = ? then 0 "
            "else max(failed_logins - 1, 0) end where id = ?",
            [user["failed_logins"], user["failed_logins"], user["id"]],
        )
        audit.log(db, user["username"], "login", "users", user["id"])


def start_session(db: Database, user: dict, device: str | None = None) -> tuple[str, str]:
    """Open a session for a user; return its secret and CSRF token."""
    secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    stamp = _now().isoformat(timespec="seconds")
    with write(db):
        db.table("sessions").insert(
            {
                "id_hash": _digest(secret),
                "user_id": user["id"],
                "csrf": csrf,
                "created_at": stamp,
                "last_seen": stamp,
                "device": device,
            }
        )
    return secret, csrf


def session_user(db: Database, secret: str, idle_minutes: int) -> dict | None:
    """Return the user and CSRF token of a live session, ending it if it sat idle too long."""
    # On every request: a plain read (sqlite-utils' query() wraps each in a savepoint).
    rows = db_rows(
        db,
        "select s.id_hash, s.csrf, s.last_seen, u.id, u.username, u.role, u.disabled "
        "from sessions s join users u on u.id = s.user_id where s.id_hash = ?",
        [_digest(secret)],
    )
    if not rows or rows[0]["disabled"]:
        return None
    row, now = rows[0], _now()
    if now - dt.datetime.fromisoformat(row["last_seen"]) > dt.timedelta(minutes=idle_minutes):
        end_session(db, secret)
        return None
    if now - dt.datetime.fromisoformat(row["last_seen"]) > dt.timedelta(minutes=1):
        with write(db):
            db.execute(
                "update sessions set last_seen = ? where id_hash = ?",
                [now.isoformat(timespec="seconds"), row["id_hash"]],
            )
    return row


def end_session(db: Database, secret: str, actor: str | None = None) -> None:
    """End a session (logout, or idle too long); audit it when someone logged out."""
    with write(db):
        db.execute("delete from sessions where id_hash = ?", [_digest(secret)])
        if actor:
            audit.log(db, actor, "logout")


def end_all_sessions(db: Database, actor: str | None = None, reason: str = "lock now") -> int:
    """End every session (the station is being locked); return how many there were."""
    with write(db):
        count = db.execute("delete from sessions").rowcount
        audit.log(db, actor, "lock", detail=f"{reason}: {count} sessions ended")
    return count


def end_user_sessions(db: Database, user_id: str) -> None:
    """End every session of one user (disabled, or PIN changed)."""
    with write(db):
        db.execute("delete from sessions where user_id = ?", [user_id])


def create_token(db: Database, name: str, role: str, actor: str | None = None) -> str:
    """Create an API token of a role (always named); return the secret, shown once, kept hashed."""
    if role not in ROLES:
        raise DomainError(f"Unknown role {role!r}.", {"role": [f"One of: {', '.join(ROLES)}."]})
    if not name or len(name) > 80:
        raise DomainError("A token needs a name of at most 80 characters.", {"name": ["Invalid."]})
    secret = "frt_" + secrets.token_urlsafe(32)
    with write(db):
        token_id = new_id()
        db.table("api_tokens").insert(
            {
                "id": token_id,
                "name": name,
                "token_hash": _digest(secret),
                "role": role,
                "created_at": _now().isoformat(timespec="seconds"),
            }
        )
        audit.log(db, actor, "token_create", "api_tokens", token_id, name)
    return secret


def token_user(db: Database, secret: str) -> dict | None:
    """Return the identity behind a bearer token, or None if unknown or revoked."""
    rows = db_rows(  # on every API request: a plain read, no savepoint
        db,
        "select id, name, role from api_tokens where token_hash = ? and revoked_at is null",
        [_digest(secret)],
    )
    if not rows:
        return None
    return {"id": rows[0]["id"], "username": "token:" + rows[0]["name"], "role": rows[0]["role"]}


def revoke_token(db: Database, token_id: str, actor: str | None = None) -> None:
    """Revoke an API token."""
    with write(db):
        cur = db.execute(
            "update api_tokens set revoked_at = ? where id = ? and revoked_at is null",
            [_now().isoformat(timespec="seconds"), token_id],
        )
        if cur.rowcount == 0:
            raise NotFound("No active token has this id.")
        audit.log(db, actor, "token_revoke", "api_tokens", token_id)


def list_tokens(db: Database) -> list[dict]:
    """Return the API tokens (never their secrets or hashes), newest first."""
    return list(
        db.query(
            "select id, name, role, created_at, revoked_at from api_tokens "
            "order by created_at desc, name"
        )
    )


def _user_by_id(db: Database, user_id: str) -> dict:
    rows = list(db.query("select id, username from users where id = ?", [user_id]))
    if not rows:
        raise NotFound("No user has this id.")
    return rows[0]


def unlock_user(db: Database, user_id: str, actor: str | None = None) -> None:
    """Let a locked-out user try again at once (a coordinator's action)."""
    with write(db):
        user = _user_by_id(db, user_id)
        db.execute(
            "update users set failed_logins = 0, locked_until = null where id = ?", [user_id]
        )
        audit.log(db, actor, "user_unlock", "users", user_id, user["username"])


def set_disabled(db: Database, user_id: str, disabled: bool, actor: str | None = None) -> None:
    """Disable a user (ending their sessions) or enable them again."""
    with write(db):
        user = _user_by_id(db, user_id)
        db.execute("update users set disabled = ? where id = ?", [int(disabled), user_id])
        if disabled:
            db.execute("delete from sessions where user_id = ?", [user_id])
        action = "user_disable" if disabled else "user_enable"
        audit.log(db, actor, action, "users", user_id, user["username"])


def locked_until(db: Database, username: str) -> str | None:
    """Return until when a user is locked out by failed logins (UTC ISO time), or None."""
    rows = list(
        db.query(
            "select locked_until from users where username = ? and disabled = 0",
            [(username or "").strip()],
        )
    )
    until = rows[0]["locked_until"] if rows else None
    if until and dt.datetime.fromisoformat(until) > _now():
        return until
    return None
