"""Mutants no test can kill, recognised by rule so that ``make mutate`` lists them apart.

Each rule is a fact about Python or SQLite, not a judgement about our code:

- ``sql case``: the letter case of SQL text given to ``execute``/``executemany``/``query``
  changed, where the text holds no quoted literal (SQLite reads keywords, table and column
  names in any case; a quoted literal would be case-sensitive, so such text never counts);
- ``codec case``: the letter case of a codec name given to ``encode``/``decode`` changed
  (``"UTF-8"`` and ``"utf-8"`` name one codec);
- ``zip strict``: ``zip(..., strict=False)`` made ``strict=None`` or left without it
  (``False`` is zip's default, and ``None`` is as false);
- ``json flag``: a ``json.dumps(..., flag=False)`` made ``flag=None`` (json reads its flags
  by truth: ``None`` is as false).

A mutant is judged from the diff ``mutmut show`` prints (one line out, one line in) and the
module's source; anything else stays a survivor for a test or an honest pragma.
"""

from __future__ import annotations

import ast
import codecs
import re

SQL_CALLS = {"execute", "executemany", "executescript", "query"}
CODEC_ARGUMENT = re.compile(rb"""\.(?:en|de)code\(\s*(["'])([^"']*)\1""")


def changed_line(diff: str) -> tuple[str, str] | None:
    """Return the one line a mutant changed, before and after, or None if it changed more."""
    lines = diff.splitlines()
    removed = [x[1:] for x in lines if x.startswith("-") and not x.startswith("---")]
    added = [x[1:] for x in lines if x.startswith("+") and not x.startswith("+++")]
    if len(removed) != 1 or len(added) != 1 or removed == added:
        return None
    return removed[0], added[0]


def sql_spans(source: str) -> dict[int, list[tuple[int, int]]]:
    """Return {line: [(start, end) byte columns]} of SQL text with no quoted literal in it."""
    spans: dict[int, list[tuple[int, int]]] = {}
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in SQL_CALLS or not node.args:
            continue
        for part in ast.walk(node.args[0]):
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                if "'" in part.value:
                    continue  # a literal inside SQL is case-sensitive
                for line in range(part.lineno, part.end_lineno + 1):
                    start = part.col_offset if line == part.lineno else 0
                    end = part.end_col_offset if line == part.end_lineno else 10**6
                    spans.setdefault(line, []).append((start, end))
    return spans


def _case_change(before: str, after: str) -> tuple[int, int] | None:
    """Return the first and last byte a case-only change touched, or None."""
    old, new = before.encode(), after.encode()
    if len(old) != len(new) or old.lower() != new.lower():
        return None
    touched = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    return touched[0], touched[-1]


def sql_case(before: str, after: str, source: str) -> bool:
    """Tell whether only the letter case of SQL text changed (SQLite reads it alike)."""
    span = _case_change(before, after)
    if span is None:
        return False
    first, last = span
    spans = sql_spans(source)
    where = [n for n, line in enumerate(source.splitlines(), 1) if line == before]
    return bool(where) and all(
        any(start <= first and last < end for start, end in spans.get(n, [])) for n in where
    )


def codec_case(before: str, after: str) -> bool:
    """Tell whether only the letter case of a codec name given to encode/decode changed."""
    span = _case_change(before, after)
    if span is None:
        return False
    for match in CODEC_ARGUMENT.finditer(before.encode()):
        start, end = match.span(2)
        if start <= span[0] and span[1] < end:
            old, new = match.group(2).decode(), after.encode()[start:end].decode()
            try:
                return codecs.lookup(old).name == codecs.lookup(new).name
            except LookupError:
                return False
    return False


def zip_strict(before: str, after: str) -> bool:
    """Tell whether zip's strict=False was made strict=None or dropped."""
    if "zip(" not in before or before.count("strict=False") != 1:
        return False
    return after in (before.replace("strict=False", "strict=None"),
                     before.replace("strict=False", ""))  # fmt: skip


def json_flag(before: str, after: str) -> bool:
    """Tell whether a False flag of json.dumps was made None (read alike, by truth)."""
    if "json.dumps(" not in before:
        return False
    flags = re.finditer(r"\b(\w+)=False\b", before)
    return any(after == before[: m.start()] + f"{m.group(1)}=None" + before[m.end() :]
               for m in flags)  # fmt: skip


def equivalent(diff: str, source: str) -> str | None:
    """Return the rule that proves a mutant equivalent, or None."""
    change = changed_line(diff)
    if change is None:
        return None
    if sql_case(*change, source):
        return "sql case"
    if codec_case(*change):
        return "codec case"
    if zip_strict(*change):
        return "zip strict"
    if json_flag(*change):
        return "json flag"
    return None
