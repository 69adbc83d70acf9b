"""Name normalisation for search and deduplication, in Arabic and Latin script.

Three views of a name, from strict to loose:

    normalize("محمّد عبد الرحمن الحلبى")  -> "محمد عبدالرحمن الحلبي"   (spelling folded in-script)
    skeleton("Mohamad Abdulrahman Halabi") -> "MHMD BDRHMN HLB"          (cross-script key)
    skeleton("محمّد عبد الرحمن الحلبى")    -> "MHMD BDRHMN HLB"

The skeleton keeps what both scripts write: consonants. Arabic letters map to Latin consonant
classes (ح/ه -> H, ق/ك -> K, ص/س -> S, ط/ت -> T, ض/د -> D, ظ/ز -> Z, and the digraph letters
ث خ ذ ش غ -> TH KH DH SH GH spelled as two classes, exactly as Latin writes them); Latin is
reduced to the same classes (q/c/k -> K, ch -> SH, g -> J but gh -> GH, p -> B, v -> F). Vowels,
alef, ع and hamza are dropped; و/ي and w/y count only at the start of a word; doubled classes
collapse (Hassan = حسن); a final H (ة, ه, -ah, -eh, ح) is dropped unless it ends a digraph.
The article (al-, el-, ال, ash-sh…) is dropped; compounds (عبد ال…, Abdul…, أبو…, …الدين,
…eddine) are one token, with the article inside kept only before a "moon" letter, the way it
is pronounced and therefore transliterated (Abdulkarim, but Abdurrahman).

An Arabic name with ث, ذ or ظ also has other readings (READINGS), the sounds Syrians give
those letters and the spellings they write with them:

    skeleton("عثمان") -> "THMN"    reading_tokens("عثمان") -> [("THMN", "SMN", "TMN")]
    skeleton("Osman") -> "SMN"     similarity("Osman", "عثمان") -> 1.0
    skeleton("منذر")  -> "MNDHR"   reading_tokens("منذر")  -> [("MNDHR", "MNZR", "MNDR", "MNTHR")]

A reading counts only across scripts (similarity, and the dedup levels, blocking keys and
search keys built on it): the same two letters in one script are two names (ثامر / سامر,
Thomas / Samas).
"""

import re
import unicodedata
from functools import lru_cache

from rapidfuzz import fuzz

_ARABIC_DIGITS = {ord(c): str(i) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩")}
_ARABIC_DIGITS.update({ord(c): str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")})
_ARABIC_FOLD = str.maketrans({"ٱ": "ا", "ة": "ه", "ى": "ي", "ـ": None, "ک": "ك", "ی": "ي"})
_APOSTROPHES = "'’‘`ʿʾ´"
_ARABIC_RE = re.compile("[\u0600-\u06ff]")
_LATIN_RE = re.compile("[a-z]")

_ARTICLES = {"al", "el", "il", "ul", "ال"}
_SUN_ARTICLES = re.compile(r"^[aeiu](sh|th|dh|[tdrzsnl])$")
_ABD = {"abd", "abdul", "abdel", "abdal", "abdoul", "abdu", "abdo", "abdol", "abdil", "عبد"}
_ABU = {"abu", "abou", "abo", "ابو"}
_DIN = {"din", "dine", "deen", "الدين", "eddin", "eddine", "uddin", "iddin", "addin"}
_ALLAH = {"allah", "alla", "ullah", "ulla", "الله"}

_AR_CLASSES = {
    "ب": "B", "ت": "T", "ث": "TH", "ج": "J", "ح": "H", "خ": "KH", "د": "D", "ذ": "DH",
    "ر": "R", "ز": "Z", "س": "S", "ش": "SH", "ص": "S", "ض": "D", "ط": "T", "ظ": "Z",
    "غ": "GH", "ف": "F", "ق": "K", "ك": "K", "ل": "L", "م": "M", "ن": "N", "ه": "H",
    "پ": "B", "چ": "SH", "ڤ": "F", "گ": "J",
}  # fmt: skip
# Other readings of the three letters whose classical sounds Syrians and Lebanese do not make:
# ث is said s or t, ذ z or d, ظ z (Osman, Haysam, Monzer, Moaz, Saer; Otman, Diab); English-style
# spellings write ذ as th and ظ as dh (Munther, Muath, Kadhim). The dedup engine keys a whole
# name under each reading; similarity reads each token the way the Latin name writes it. Only
# ever against Latin letters: within Arabic, ثامر and سامر stay two names.
READINGS: dict[str, dict[str, str]] = {
    "levantine s/z": {"ث": "S", "ذ": "Z", "ظ": "Z"},
    "levantine t/d": {"ث": "T", "ذ": "D", "ظ": "Z"},
    "english th/dh": {"ث": "TH", "ذ": "TH", "ظ": "DH"},
}
_READING_CLASSES = [{**_AR_CLASSES, **letters} for letters in READINGS.values()]
_READ_LETTERS = re.compile("[ثذظ]")
_AR_SUN = set("تثدذرزسشصضطظلن")
_AR_ARTICLE_EXCEPTIONS = {"الياس", "الهام", "الفت", "الماس"}
_LATIN_CLASSES = {"q": "K", "c": "K", "k": "K", "p": "B", "v": "F", "x": "KS", "g": "J"}
_LATIN_DIGITS = {"2": "K", "5": "KH", "6": "T", "7": "H", "8": "GH"}
_LATIN_SUN = set("tdrzsnl")
_LATIN_ARTICLE_EXCEPTIONS = {"elias", "elyas", "elham", "almas", "alhan", "elie"}
_LATIN_ABBREVIATIONS = {"mhd": "mohammed", "mohd": "mohammed", "muhd": "mohammed"}
_DIGRAPH_ENDS = set("STDKG")
_DIN_SUFFIX = re.compile(r"^(?P<pre>.{2,}?)(?:[aeiou]?[ld])?d(?:ee|i|e|y)ne?$")


def _fold_chars(text: str) -> str:
    """Apply Unicode and per-script character folding, keeping letters, digits and spaces."""
    text = text.translate(_ARABIC_DIGITS).translate(_ARABIC_FOLD)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.lower().replace("ß", "ss")
    for mark in _APOSTROPHES:
        text = text.replace(mark, "")
    return "".join(c if c.isalnum() else " " for c in text)


def _is_sun_article(token: str, following: str) -> bool:
    """Tell whether token is an assimilated article such as ash- before 'shami'."""
    match = _SUN_ARTICLES.match(token)
    return bool(match) and following.startswith(match.group(1))


def _join_compounds(tokens: list[str]) -> list[str]:
    """Join articles and compound-name parts to the token they belong to."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        rest = tokens[i + 1 :]
        if token in _ABD | _ABU and rest:
            if len(rest) > 1 and (rest[0] in _ARTICLES or _is_sun_article(rest[0], rest[1])):
                token, i = token + rest[0] + rest[1], i + 2
            else:
                token, i = token + rest[0], i + 1
        elif rest and (token in _ARTICLES or _is_sun_article(token, rest[0])):
            if rest[0] in _DIN and out:
                out[-1] += token + rest[0]
                i += 2
                continue
            token, i = ("ال" if token == "ال" else "al") + rest[0], i + 1
        elif out and (token in _DIN or token in _ALLAH):
            out[-1] += token
            i += 1
            continue
        out.append(token)
        i += 1
    return out


def normalize(text: str | None) -> str:
    """Fold a name's spelling within its script and join compound names into one token."""
    if not text:
        return ""
    return " ".join(_join_compounds(_fold_chars(text).split()))


def _arabic_plain(token: str, classes: dict[str, str]) -> str:
    """Map a normalised Arabic token to consonant classes (a final ة/ه is a vowel)."""
    if len(token) > 2 and token.endswith("ه"):
        token = token[:-1]
    out = []
    for i, char in enumerate(token):
        if char in "وي":
            out.append(("W" if char == "و" else "Y") if i == 0 else "")
        else:
            out.append(classes.get(char, char if char.isdigit() else ""))
    return "".join(out)


def _latin_plain(token: str) -> str:
    """Map a normalised Latin token to consonant classes."""
    token = _LATIN_ABBREVIATIONS.get(token, token)
    token = token.replace("dj", "j").replace("ch", "sh").replace("ph", "f").replace("ck", "k")
    out = []
    for i, char in enumerate(token):
        if char in "aeiou3":
            continue
        if char in "wy":
            out.append(char.upper() if i == 0 else "")
        elif char == "g" and token[i + 1 : i + 2] == "h":
            out.append("G")
        elif char in _LATIN_DIGITS:
            out.append(_LATIN_DIGITS[char])
        else:
            out.append(_LATIN_CLASSES.get(char, char.upper()))
    return "".join(out)


def _arabic_token(token: str, classes: dict[str, str] = _AR_CLASSES) -> str:
    """Return the consonant classes of one Arabic token, handling article and compounds."""
    if token.startswith("عبد") and len(token) > 3:
        rest = token[3:]
        if rest.startswith("ال") and len(rest) > 2:
            sun = "" if rest[2] in _AR_SUN else "L"
            return "BD" + sun + _arabic_token(rest[2:], classes)
        return "BD" + _arabic_token(rest, classes)
    if token.endswith("الدين") and len(token) > 6:
        return _finish(_arabic_token(token[:-5], classes)) + "DN"
    if token.startswith("ال") and len(token) > 3 and token not in _AR_ARTICLE_EXCEPTIONS:
        rest = _arabic_token(token[2:], classes)
        if rest:
            return rest
    return _arabic_plain(token, classes)


def _latin_token(token: str) -> str:
    """Return the consonant classes of one Latin token, handling article and compounds."""
    if token.startswith("abd") and len(token) > 3:
        rest = token[3:].lstrip("aeiou")
        if rest[:1] == "l" and rest[1:2] in _LATIN_SUN:
            rest = rest[1:]
        return "BD" + _latin_token(rest) if rest else "BD"
    din = _DIN_SUFFIX.match(token) if len(token) >= 6 else None
    if din:
        return _finish(_latin_token(din.group("pre"))) + "DN"
    if token[:2] in ("al", "el") and len(token) > 4 and token not in _LATIN_ARTICLE_EXCEPTIONS:
        if _latin_plain(token[2:]):
            return _latin_token(token[2:])
    return _latin_plain(token)


def _finish(classes: str) -> str:
    """Collapse doubled classes and drop a final H that does not end a digraph."""
    collapsed = re.sub(r"(.)\1+", r"\1", classes)
    if len(collapsed) > 1 and collapsed[-1] == "H" and collapsed[-2] not in _DIGRAPH_ENDS:
        collapsed = collapsed[:-1]
    return collapsed


def _token_skeleton(token: str) -> str:
    """Return the skeleton of one normalised token in either script."""
    if _ARABIC_RE.search(token):
        return _finish(_arabic_token(token))
    return _finish(_latin_token(token))


def skeleton(text: str | None) -> str:
    """Return the cross-script consonant key of a name, one uppercase group per token."""
    return skeleton_of_normalized(normalize(text))


def skeleton_of_normalized(norm: str) -> str:
    """Return the skeleton of a name already passed through normalize()."""
    return " ".join(s for s in map(_token_skeleton, norm.split()) if s)


def name_tokens(text: str | None) -> list[str]:
    """Return the skeleton tokens of a name, for an index."""
    return skeleton(text).split()


@lru_cache(maxsize=50_000)
def _token_readings(token: str) -> tuple[str, ...]:
    """Return a normalised token's skeleton, then its skeleton under each of READINGS."""
    standard = _token_skeleton(token)
    if not _READ_LETTERS.search(token):
        return (standard,) * (1 + len(READINGS))
    return standard, *(_finish(_arabic_token(token, classes)) for classes in _READING_CLASSES)


def readings_of_normalized(norm: str) -> tuple[str, ...]:
    """Return the skeleton of a normalised name under each of READINGS ('' where unchanged)."""
    if not _READ_LETTERS.search(norm):
        return ("",) * len(READINGS)
    tokens = [r for r in map(_token_readings, norm.split()) if r[0]]
    standard = " ".join(r[0] for r in tokens)
    whole = [" ".join(r[i] for r in tokens) for i in range(1, 1 + len(READINGS))]
    return tuple("" if reading == standard else reading for reading in whole)


def reading_tokens(text: str | None) -> list[tuple[str, ...]]:
    """Return each skeleton token of a name with its other readings (the standard first)."""
    tokens = map(_token_readings, normalize(text).split())
    return [tuple(dict.fromkeys(r)) for r in tokens if r[0]]


def _read_as(readings: tuple[tuple[str, ...], ...], other: str) -> str:
    """Return an Arabic name's skeleton with each token in the reading nearest to other's."""
    others = other.split() or [""]
    chosen = [max(r, key=lambda x: max(fuzz.ratio(x, o) for o in others)) for r in readings]
    return " ".join(chosen)


def _script(text: str) -> str:
    """Return 'arabic', 'latin', 'mixed' or '' for a normalised name."""
    arabic, latin = bool(_ARABIC_RE.search(text)), bool(_LATIN_RE.search(text))
    return "mixed" if arabic and latin else "arabic" if arabic else "latin" if latin else ""


def _strip_article(token: str) -> str:
    """Drop a leading article from a normalised token for in-script comparison."""
    for article in ("ال", "al", "el"):
        if token.startswith(article) and len(token) > len(article) + 2:
            return token[len(article) :]
    return token


_VOWEL_FOLD = [("ou", "u"), ("oo", "u"), ("ee", "i"), ("o", "u"), ("e", "a")]


def _latin_form(token: str) -> str:
    """Return a Latin token with vowels folded to a/i/u and doubled letters collapsed."""
    token = _strip_article(_LATIN_ABBREVIATIONS.get(token, token))
    token = token[:1] + token[1:].replace("y", "i")
    token = re.sub(r"(.)\1+", r"\1", token)
    for old, new in _VOWEL_FOLD:
        token = token.replace(old, new)
    return token.replace("i", "a")


def spelling_form(text: str | None) -> str:
    """Return the in-script comparison form: no article; Latin vowels folded to a/i/u."""
    return form_of_normalized(normalize(text))


def form_of_normalized(norm: str) -> str:
    """Return the spelling form of a name already passed through normalize()."""
    if _script(norm) == "latin":
        return " ".join(map(_latin_form, norm.split()))
    return " ".join(map(_strip_article, norm.split()))


@lru_cache(maxsize=200_000)
def _profile(name: str | None) -> tuple[str, str, str, tuple[tuple[str, ...], ...]]:
    """Return what similarity compares of a name: skeleton, script, spelling form, readings.

    Searches compare the query with hundreds of candidates whose names repeat a lot
    (Mohammed, Ahmad, al-Halabi): each name is normalised once, not once per comparison.
    Readings are given only for a name that has other readings (ث ذ ظ).
    """
    skel = skeleton(name)
    if not skel:
        return "", "", "", ()
    norm = normalize(name)
    # Most names have none of the three letters: their profile costs what it did before readings.
    tokens = tuple(reading_tokens(name)) if _READ_LETTERS.search(norm) else ()
    readings = tokens if any(len(r) > 1 for r in tokens) else ()
    return skel, _script(norm), spelling_form(name), readings


def similarity(a: str | None, b: str | None) -> float:
    """Return a 0..1 similarity of two names in any script.

    Across scripts, an Arabic name is read the way the Latin one is written (عثمان as Osman or
    Othman) before their skeletons are compared; within a script, never.
    """
    skel_a, script_a, form_a, readings_a = _profile(a)
    skel_b, script_b, form_b, readings_b = _profile(b)
    if not skel_a or not skel_b:
        return 0.0
    if script_a != script_b or script_a == "mixed":
        if readings_a and script_b == "latin":
            skel_a = _read_as(readings_a, skel_b)
        elif readings_b and script_a == "latin":
            skel_b = _read_as(readings_b, skel_a)
        return fuzz.token_sort_ratio(skel_a, skel_b) / 100
    form_score = fuzz.token_sort_ratio(form_a, form_b) / 100
    if script_a == "arabic":
        return form_score
    return 0.5 * fuzz.token_sort_ratio(skel_a, skel_b) / 100 + 0.5 * form_score


_COUNTRY_CODES = ("963", "961", "90")


def normalize_phone(text: str | None) -> str:
    """Return a phone number as international digits (9639XXXXXXXX), or '' if none."""
    if not text:
        return ""
    text = text.translate(_ARABIC_DIGITS).strip()
    digits = re.sub(r"\D", "", text)
    if not digits:
        return ""
    if text.startswith("+"):
        pass
    elif digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("05") and len(digits) == 11:
        digits = "90" + digits[1:]
    elif digits.startswith("0"):
        digits = "963" + digits.lstrip("0")
    elif digits.startswith("9") and len(digits) == 9:
        digits = "963" + digits
    for code in _COUNTRY_CODES:
        if digits.startswith(code + "0"):
            return code + digits[len(code) :].lstrip("0")
    return digits
