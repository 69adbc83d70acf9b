"""Arabic and English: the page language, the user's digits, and the words for coded values.

The language is the signed-in user's stored choice, else the ``lang`` cookie, else the
browser's Accept-Language. Digits are Western (0-9) or Arabic-Indic (٠-٩), as the user
prefers; the ``num`` filter writes every figure on a page accordingly, and ``when`` every
time, in the reader's local time (fieldreg/localtime.py).
"""

from __future__ import annotations

import datetime as dt

from flask import Flask, g, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlite_utils import Database

from fieldreg import localtime, options, wristbands
from fieldreg.db import get_db, write

LANGUAGES = ("en", "ar")
DIGITS = ("western", "arabic")
ARABIC_INDIC = str.maketrans("0123456789.,", "٠١٢٣٤٥٦٧٨٩٫٬")

LABELS = {
    "female": _l("Female"),
    "male": _l("Male"),
    "unknown": _l("Unknown"),
    "bus": _l("Bus"),
    "ambulance": _l("Ambulance"),
    "private_car": _l("Private car"),
    "pickup": _l("Pick-up truck"),
    "on_foot": _l("On foot"),
    "other": _l("Other"),
    "camp": _l("Camp"),
    "host_family": _l("Host family"),
    "hospital": _l("Hospital"),
    "present": _l("Present"),
    "departed": _l("Departed"),
    "transferred": _l("Transferred"),
    "returned": _l("Returned"),
    "unaccompanied_child": _l("Unaccompanied child"),
    "separated_child": _l("Separated child"),
    "older_person_alone": _l("Older person alone"),
    "pregnant_lactating": _l("Pregnant or lactating"),
    "disability": _l("Disability"),
    "female_headed_household": _l("Female-headed household"),
    "serious_medical_condition": _l("Serious medical condition"),
    "immediate": _l("Immediate"),
    "delayed": _l("Delayed"),
    "minor": _l("Minor"),
    "expectant": _l("Expectant"),
    "dead": _l("Dead"),
    "waiting": _l("Waiting"),
}


def label(value: str | None) -> str:
    """Return the words for a coded value in the page language (the code if unknown)."""
    return str(LABELS.get(value or "unknown", value))


def user_preferences() -> dict:
    """Return the signed-in user's stored language and digits (empty when none)."""
    if "preferences" not in g:
        user = g.get("user")
        rows = []
        if user and not g.get("via_token"):
            rows = list(get_db().query("select lang, digits from users where id = ?", [user["id"]]))
        g.preferences = {k: v for k, v in (rows[0] if rows else {}).items() if v}
    return g.preferences


def select_locale() -> str:
    """Choose the page language: the user's choice, else the cookie's, else the browser's."""
    chosen = user_preferences().get("lang") or request.cookies.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(LANGUAGES) or "en"


def digits() -> str:
    """Return the reader's digits: their choice, else Western."""
    chosen = user_preferences().get("digits") or request.cookies.get("digits")
    return chosen if chosen in DIGITS else "western"


def num(value: object, style: str | None = None) -> str:
    """Write a figure in the reader's digits (a Jinja filter)."""
    text = "" if value is None else str(value)
    return text.translate(ARABIC_INDIC) if (style or digits()) == "arabic" else text


def count(value: object) -> str:
    """Write a whole number with its thousands grouped (1,387), in the reader's digits."""
    if not isinstance(value, int):
        return num(value)
    arabic = digits() == "arabic"
    return num(f"{value:,}".replace(",", "\u066c" if arabic else ","))


def ltr(value: object) -> str:
    """Keep a date or code left-to-right inside Arabic text (Unicode isolates, a filter)."""
    return f"\u2066{value}\u2069"


def when(value: object, style: str | None = None) -> str:
    """Show a stored time as 'YYYY-MM-DD HH:MM' in local time and the reader's digits."""
    if not value:
        return "—"
    moment = value
    if isinstance(value, str) and len(value) > 10:
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            moment = value  # not a time we wrote: shown as it is
    if isinstance(moment, dt.datetime):
        moment = localtime.to_local(moment)
    text = moment.isoformat() if hasattr(moment, "isoformat") else str(moment)
    return ltr(num(text[:16].replace("T", " "), style))


def vehicle_name(vehicle: dict) -> str:
    """Name a vehicle in the page language: its label, else its plate, else kind and short id."""
    kind = str(dict(options.VEHICLE).get(vehicle.get("kind"), vehicle.get("kind")))
    kind = f"{kind} {str(vehicle.get('id', ''))[-6:]}"
    return vehicle.get("label") or vehicle.get("plate") or kind


def set_preferences(db: Database, user_id: str, lang: str | None, digit_style: str | None) -> None:
    """Store a user's language and digits (unknown values are ignored)."""
    with write(db):
        if lang in LANGUAGES:
            db.execute("update users set lang = ? where id = ?", [lang, user_id])
        if digit_style in DIGITS:
            db.execute("update users set digits = ? where id = ?", [digit_style, user_id])


def is_rtl() -> bool:
    """Tell whether the page language is written right to left."""
    return str(get_locale()) == "ar"


def init(app: Flask) -> None:
    """Install the filters and globals templates use for language and digits."""
    app.jinja_env.filters["num"] = num
    app.jinja_env.filters["count"] = count
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["ltr"] = ltr
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["vehicle_name"] = vehicle_name
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["is_rtl"] = is_rtl
    app.jinja_env.globals["digit_style"] = digits
    app.jinja_env.globals["L"] = options.L
    app.jinja_env.globals["age_of"] = wristbands.age
