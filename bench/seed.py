"""Fill a data folder with a synthetic population, through the real domain operation.

Households come from bench/gen_population.py (Zipf-weighted Syrian names, Arabic and Latin
spellings); each is validated by HouseholdSchema and stored by records.create_household, so
the tables, search index, codes and change log look exactly as after real registrations.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from pathlib import Path

from marshmallow import ValidationError

from bench import common  # noqa: F401  (a throw-away passphrase for bench folders)
from bench.gen_population import generate
from fieldreg import auth, records
from fieldreg.db import connect, prepare, write
from fieldreg.schemas.records import TRANSPORTS, HouseholdSchema

TODAY = dt.date.today().isoformat()
PERSON_KEYS = ("given_name", "father_name", "mother_name", "family_name", "sex")


def bodies(people: int, seed: int = 1) -> list[dict]:
    """Return household bodies (as the API receives them) holding about ``people`` people."""
    rng = random.Random(seed)
    groups: dict[str, list[dict]] = defaultdict(list)
    for row in generate(people, seed):
        groups[row["household_id"]].append(row)
    out = []
    for rows in groups.values():
        members = []
        for row in rows[:30]:
            member = {k: row[k] for k in PERSON_KEYS if row[k]}
            if row["age_years"]:
                member["age_years"] = int(row["age_years"])
            elif row["date_of_birth"] and row["date_of_birth"] <= TODAY:
                # The generator mistypes some dates (a swapped day and month, a year off by
                # one) like a tired registrar would; a date in the future is refused (422),
                # which is right, but this load is meant to be valid traffic.
                member["date_of_birth"] = row["date_of_birth"]
            members.append(member)
        body = {"members": members, "origin": {"district": rows[0]["origin"][:100]}}
        body["arrival"] = {"transport": rng.choice(TRANSPORTS)}
        if rows[0]["phone"]:
            body["phone"] = rows[0]["phone"]
        out.append(body)
    return out


def seed(data: Path, people: int, batch: int = 2000) -> dict:
    """Register about ``people`` people in ``data``; return counts and an admin API token."""
    db = connect(prepare(data))
    schema, done = HouseholdSchema(), 0
    loaded = []
    for body in bodies(people):
        try:
            loaded.append(schema.load(body))
        except ValidationError:
            continue  # a generated oddity the form would refuse too
    for start in range(0, len(loaded), batch):
        with write(db):  # one transaction per batch: seeding, not measuring fsyncs
            for data_ in loaded[start : start + batch]:
                records.create_household(db, data_, "seed")
                done += len(data_["members"])
    token = auth.create_token(db, "bench", "admin")
    db.close()
    return {"households": len(loaded), "people": done, "token": token}


CLONE_SQL = (
    "insert into households select id || :s, code || :s, case when client_id is null then null "
    "else client_id || :s end, client_hash, station, arrived_at, transport, vehicle_ref, "
    "origin_district, origin_neighbourhood, destination_kind, destination_name, "
    "destination_place, phone, phone_norm, vulnerabilities, consent_share, notes, status, "
    "created_at, updated_at, created_by, deleted from households where id not like '%~%'",
    "insert into people select id || :s, code || :s, household_id || :s, position, given_name, "
    "father_name, mother_name, family_name, sex, age_years, age_estimated, date_of_birth, "
    "relationship, vulnerabilities, status, created_at, updated_at, deleted "
    "from people where id not like '%~%'",
    # The search row shares its person's rowid (search_index).
    "insert into people_search (rowid, person_id, keys) select p.rowid, p.id, s.keys "
    "from people_search s join people p on p.id = s.person_id || :s "
    "where s.person_id not like '%~%'",
    "insert into changes (site, seq, hlc, tbl, record_id, op, data, prev, recv) "
    "select site, seq + :n * :k, hlc, tbl, record_id || :s, op, data, prev, recv + :r * :k "
    "from changes where record_id not like '%~%'",
)


def clone(data: Path, copies: int) -> int:
    """Multiply the seeded records by SQL (fast), for size benchmarks; return people stored."""
    db = connect(data / "fieldreg.db")
    n = next(db.query("select max(seq) n from changes"))["n"]
    r = next(db.query("select max(recv) n from changes"))["n"]
    for k in range(1, copies + 1):
        with write(db):
            for sql in CLONE_SQL:
                db.execute(sql, {"s": f"~{k}", "n": n, "k": k, "r": r})
    people = next(db.query("select count(*) n from people"))["n"]
    db.close()
    return people
