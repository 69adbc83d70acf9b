"""The floor: a bare Flask + sqlite3 handler that stores the same household with the same
durability (WAL, synchronous=FULL, one transaction), to compare FieldReg's registration with."""

import json
import sqlite3
import sys
import threading
import uuid

from flask import Flask, g, jsonify, request

DB = sys.argv[1] if len(sys.argv) > 1 else "floor.db"
app = Flask(__name__)
_init = threading.Lock()


def db():
    if "db" not in g:
        conn = sqlite3.connect(DB, isolation_level=None, timeout=10)
        conn.execute("pragma journal_mode = wal")
        conn.execute("pragma synchronous = full")
        g.db = conn
    return g.db


@app.teardown_appcontext
def close(_exc):
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


@app.post("/households")
def create():
    body = request.get_json()
    conn = db()
    hh_id = str(uuid.uuid4())
    conn.execute("begin immediate")
    conn.execute("insert into households (id, body) values (?, ?)", [hh_id, json.dumps(body)])
    members = []
    for member in body["members"]:
        person_id = str(uuid.uuid4())
        conn.execute(
            "insert into people (id, household_id, body) values (?, ?, ?)",
            [person_id, hh_id, json.dumps(member)],
        )
        members.append({"id": person_id})
    conn.execute("commit")
    return jsonify({"id": hh_id, "members": members}), 201


def setup():
    conn = sqlite3.connect(DB)
    conn.execute("pragma journal_mode = wal")
    conn.execute("create table if not exists households (id text primary key, body text)")
    conn.execute(
        "create table if not exists people (id text primary key, household_id text, body text)"
    )
    conn.commit()
    conn.close()


if __name__ == "__main__":
    import waitress

    setup()
    waitress.serve(app, host="127.0.0.1", port=int(sys.argv[2]), threads=8, _quiet=True)
