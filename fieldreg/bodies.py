"""Read request bodies and numbers strictly: hostile input gets a 4xx, never a 500.

Python's own parsers fail in ways a web layer does not expect: ``json.loads`` raises
RecursionError on a deeply nested body and ValueError on an integer of more than 4,300
digits, and it turns a ``"\\ud800"`` escape into a lone surrogate that no database or page
can encode later. ``loads`` refuses all three (and NaN/Infinity, which are not JSON) with
``Unreadable``; the API's argument parser uses it for every JSON body and answers 400
``invalid_json``. ``whole_number`` reads digits from a path or a form the same way.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32  # our records nest 3 deep; the recursion limit is about 1,000
MAX_DIGITS = 30  # no count, age or id of ours needs more
# A lone surrogate can only come from a \\uD800-\\uDFFF escape: UTF-8 text cannot hold one.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class Unreadable(ValueError):
    """A body that is JSON in form but not something the station accepts."""


def _number(text: str) -> int:
    """Parse a JSON integer, refusing absurd lengths before Python's own limit raises."""
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise Unreadable(f"A number has more than {MAX_DIGITS} digits.")
    return int(text)


def _constant(name: str) -> Any:
    """Refuse NaN and Infinity, which Python's parser accepts and JSON does not have."""
    raise Unreadable(f"{name} is not a JSON number.")


def loads(data: bytes | str) -> Any:
    """Parse a JSON body; raise json.JSONDecodeError if malformed, Unreadable if hostile."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Unreadable("The body is not UTF-8 text.") from exc
    try:
        value = json.loads(data, parse_int=_number, parse_constant=_constant)
    except RecursionError:
        raise Unreadable("The body is nested too deeply.") from None
    # The walk is needed only where the text could hold what it refuses (issue 20: every
    # registration passes here): fewer brackets than MAX_DEPTH cannot nest deeper.
    if SURROGATE_ESCAPE.search(data) or data.count("[") + data.count("{") >= MAX_DEPTH:
        _check(value)
    return value


def _check(value: Any) -> None:
    """Refuse nesting deeper than MAX_DEPTH and strings with lone surrogates (not Unicode)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _text(item)
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise Unreadable(f"The body is nested more than {MAX_DEPTH} deep.")
            if isinstance(item, dict):
                stack.extend((key, depth + 1) for key in item)
                item = item.values()
            stack.extend((child, depth + 1) for child in item)


def _text(text: str) -> None:
    """Refuse a string that cannot be written as UTF-8 (a lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise Unreadable("A text holds a lone surrogate (not valid Unicode).") from None


def whole_number(text: str | None, digits: int = 9) -> int | None:
    """Return the number written in ASCII digits (at most ``digits``), else None."""
    if not text or len(text) > digits or not text.isascii() or not text.isdigit():
        return None
    return int(text)
