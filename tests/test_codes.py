"""Human codes: the check character catches every single error and every neighbour swap."""

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldreg import codes

prefixes = st.text(alphabet=codes.ALPHABET, min_size=3, max_size=3)
seqs = st.integers(min_value=0, max_value=codes.MAX_SEQ)


def raw(code: str) -> str:
    return code.replace("-", "")


@given(prefixes, seqs)
def test_made_codes_are_valid_short_and_unambiguous(prefix, seq):
    code = codes.make_code(prefix, seq)
    assert codes.parse(code) == code
    assert len(raw(code)) <= 10
    assert not set(raw(code)) & set("O0I1L")


@given(prefixes, seqs, st.data())
def test_every_single_substitution_is_caught(prefix, seq, data):
    text = raw(codes.make_code(prefix, seq))
    pos = data.draw(st.integers(0, len(text) - 1))
    other = data.draw(st.sampled_from([c for c in codes.ALPHABET if c != text[pos]]))
    assert codes.parse(text[:pos] + other + text[pos + 1 :]) is None


@given(prefixes, seqs, st.data())
def test_every_neighbour_swap_is_caught(prefix, seq, data):
    text = raw(codes.make_code(prefix, seq))
    pos = data.draw(st.integers(0, len(text) - 2))
    if text[pos] == text[pos + 1]:
        return  # swapping equal characters changes nothing
    swapped = text[:pos] + text[pos + 1] + text[pos] + text[pos + 2 :]
    assert codes.parse(swapped) is None


def test_exhaustively_for_one_code():
    text = raw(codes.make_code("K7M", 123456))
    for pos in range(len(text)):
        for other in codes.ALPHABET:
            if other != text[pos]:
                assert codes.parse(text[:pos] + other + text[pos + 1 :]) is None


@given(prefixes, seqs)
def test_case_and_separators_do_not_matter(prefix, seq):
    code = codes.make_code(prefix, seq)
    assert codes.parse(" " + code.lower().replace("-", " ") + " ") == code
    assert codes.parse(raw(code)) == code


def test_look_alikes_and_garbage_are_not_codes():
    code = raw(codes.make_code("ABC", 42))
    for bad in ["", "ABC", code + "2", code[:-1], "O" + code[1:], "<script>", "x" * 10000]:
        assert codes.parse(bad) is None
    assert all(ch not in codes.ALPHABET for ch in "01OIL" + string.ascii_lowercase)


def test_sequence_encoding_is_ordered_and_distinct():
    made = [codes.make_code("XYZ", n) for n in range(2000)]
    assert len(set(made)) == 2000


def test_codes_printed_by_an_earlier_version_still_read():
    """A wristband printed yesterday must scan today: the code of a number never changes.

    Issue 16: a different check weight or digit order still passes every property above.
    """
    printed = {("K7M", 123456): "K7M-266GGB", ("ABC", 0): "ABC-222225", ("T3S", 1): "T3S-22223J",
               ("XYZ", 31): "XYZ-22232J", ("ZZZ", codes.MAX_SEQ): "ZZZ-ZZZZZF"}  # fmt: skip
    for (prefix, seq), code in printed.items():
        assert codes.make_code(prefix.lower(), seq) == code
        assert codes.parse(code) == code


def test_a_station_prefix_is_exactly_three_code_characters():
    """Issue 16: a four-character or look-alike prefix would make codes that never read back."""
    assert codes.is_valid_prefix("K7M")
    for bad in ["K7MX", "K7", "", "K0M", "KLM", "k7m"]:
        assert not codes.is_valid_prefix(bad)


def test_a_bad_prefix_or_sequence_is_refused_by_name():
    """Issue 16: the refusal says which prefix or number was wrong (it ends up in a log)."""
    with pytest.raises(ValueError, match="'K0M'"):
        codes.make_code("K0M", 1)
    for seq in (-1, codes.MAX_SEQ + 1):
        with pytest.raises(ValueError, match=f"sequence {seq} out of range"):
            codes.make_code("K7M", seq)


def test_search_tells_a_code_from_a_name():
    """Issue 16: what looks like a code is looked up as one; anything else is a name or phone."""
    for text in ["K7M-266GGB", "k7m 266ggb", "K7M266GGC", " K7M.266_GGB "]:
        assert codes.looks_like_code(text)
    for text in ["Ahmad Halabi", "K7M-266GG", "K7M-266GGBB", "K7M-266GG0", "", None]:
        assert not codes.looks_like_code(text)
