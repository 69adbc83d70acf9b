"""Strict reading of bodies and numbers (issue 13): hostile input is a 4xx, never a 500."""

from __future__ import annotations

import json

import pytest

from fieldreg import bodies
from tests.conftest import household_body


@pytest.mark.parametrize(
    "raw,why",
    [
        (b'{"a": "\\ud800"}', "lone surrogate"),
        (b'["\\udfffx"]', "lone surrogate"),
        (b'{"n": ' + b"1" * 31 + b"}", "digits"),
        (b'{"n": -' + b"1" * 5000 + b"}", "digits"),
        (b"[" * 100_000 + b"]" * 100_000, "deep"),
        (b'{"a": ' * 40 + b"1" + b"}" * 40, "deep"),
        (b'{"a": "\xff"}', "UTF-8"),
        (b'{"a": NaN}', "NaN"),
        (b'{"a": -Infinity}', "Infinity"),
    ],
)
def test_hostile_json_is_unreadable(raw, why):
    with pytest.raises(bodies.Unreadable) as refused:
        bodies.loads(raw)
    assert why.lower() in str(refused.value).lower() or why in ("NaN", "Infinity", "deep")


def test_ordinary_json_reads_as_json():
    body = json.dumps(household_body(notes="😀 \u062d \U0001f600")).encode()
    assert bodies.loads(body) == json.loads(body)
    assert bodies.loads('{"a": "\\ud83d\\ude00"}') == {"a": "😀"}, "a surrogate pair is fine"
    assert bodies.loads(b'{"n": ' + b"9" * 30 + b"}") == {"n": int("9" * 30)}
    with pytest.raises(json.JSONDecodeError):
        bodies.loads(b"{not json")


@pytest.mark.parametrize("text,number", [("12", 12), ("0", 0), ("²", None), ("٣", None),
                                         ("9" * 10, None), ("", None), (None, None),
                                         ("-1", None), ("1e3", None)])  # fmt: skip
def test_whole_numbers_are_ascii_digits_of_bounded_length(text, number):
    assert bodies.whole_number(text) == number


def test_digits_in_paths_and_forms_never_answer_500(client, auth_actions, api):
    auth_actions.login("coordinator")
    csrf = auth_actions.csrf()
    for count in ("²", "9" * 5000, "٣"):
        answer = client.post("/tags/sheet", data={"count": count, "csrf_token": csrf})
        assert answer.status_code == 400, count
    for conflict in ("²", "9" * 5000):
        answer = client.post(f"/sync/conflicts/{conflict}", data={"csrf_token": csrf})
        assert answer.status_code == 404, conflict
    for index in ("²", "9" * 5000):
        assert client.get(f"/station/ca-qr/{index}.svg").status_code == 404
    form = {"given_name": "Huda", "csrf_token": csrf, "action": "add_member",
            "m" + "9" * 5000 + "-given_name": "Sara", "m²-given_name": "Rana"}  # fmt: skip
    assert client.post("/register", data=form).status_code in (200, 400)
    queued = {
        "client_id": "0193e3d4-0000-7000-8000-00000000000a",
        "fields": [["given_name", "Huda"], ["m" + "9" * 5000 + "-given_name", "S"]],
    }
    assert client.post("/api/v1/outbox", json=queued, headers=api).status_code in (200, 201)
