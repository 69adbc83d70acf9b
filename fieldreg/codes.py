"""Human codes for tags: short, unambiguous, unique across stations, self-checking.

A code is ``SSS-NNNNNC``: the station's three-character prefix, a five-character
sequence number (31**5, about 28 million codes a station), and one check character.
The alphabet has 31 symbols with no look-alikes (no 0/O, 1/I/L), so the check is a
weighted sum modulo the prime 31 with distinct non-zero weights: every single wrong
character and every swap of two neighbouring characters changes the sum. Codes are
read case-insensitively, and separators and spaces are ignored.
"""

from __future__ import annotations

import re

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
BASE = len(ALPHABET)  # 31, a prime
VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
PREFIX_LEN = 3
SEQ_LEN = 5
MAX_SEQ = BASE**SEQ_LEN - 1
_STRIP = re.compile(r"[\s\-_.]+")


class InvalidCode(ValueError):
    """A string that is not a valid code (bad character, length or check)."""


def check_char(body: str) -> str:
    """Return the check character that makes ``body`` + it sum to 0 mod 31."""
    total = sum(VALUES[ch] * (i + 2) for i, ch in enumerate(reversed(body)))
    return ALPHABET[(-total) % BASE]


def is_valid_prefix(prefix: str) -> bool:
    """Tell whether ``prefix`` can be a station prefix."""
    return len(prefix) == PREFIX_LEN and all(ch in VALUES for ch in prefix)


def encode_seq(seq: int) -> str:
    """Write a sequence number in the code alphabet, padded to five characters."""
    if not 0 <= seq <= MAX_SEQ:
        raise ValueError(f"sequence {seq} out of range")
    out = []
    for _ in range(SEQ_LEN):
        seq, rem = divmod(seq, BASE)
        out.append(ALPHABET[rem])
    return "".join(reversed(out))


def make_code(prefix: str, seq: int) -> str:
    """Build the display code for the ``seq``-th code of station ``prefix``."""
    prefix = prefix.upper()
    if not is_valid_prefix(prefix):
        raise ValueError(f"invalid station prefix {prefix!r}")
    body = prefix + encode_seq(seq)
    return f"{prefix}-{body[PREFIX_LEN:]}{check_char(body)}"


def canonical(text: str) -> str:
    """Return the code in display form, or raise InvalidCode."""
    # The pragmas (issue 16, make mutate) mark mutants nobody could tell apart: any stand-in
    # for a missing text is refused alike, and parse() swallows the exception's message.
    given = text or ""  # pragma: no mutate
    raw = _STRIP.sub("", given).upper()
    if len(raw) != PREFIX_LEN + SEQ_LEN + 1 or any(ch not in VALUES for ch in raw):
        raise InvalidCode(text)  # pragma: no mutate
    body, check = raw[:-1], raw[-1]
    if check_char(body) != check:
        raise InvalidCode(text)  # pragma: no mutate
    return f"{raw[:PREFIX_LEN]}-{raw[PREFIX_LEN:]}"


def parse(text: str) -> str | None:
    """Return the display form of a valid code, or None."""
    try:
        return canonical(text)
    except InvalidCode:
        return None


def looks_like_code(text: str) -> bool:
    """Tell whether ``text`` is shaped like a code (for search: code or name?)."""
    given = text or ""  # pragma: no mutate (as in canonical)
    raw = _STRIP.sub("", given).upper()
    return len(raw) == PREFIX_LEN + SEQ_LEN + 1 and all(ch in VALUES for ch in raw)
