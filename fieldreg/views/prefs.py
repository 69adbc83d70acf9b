"""The language and digits switch: remembered in a cookie, and for the signed-in user."""

from __future__ import annotations

from flask import Blueprint, g, redirect, request

from fieldreg import i18n
from fieldreg.access import public
from fieldreg.db import get_db
from fieldreg.views.auth import safe_next

bp = Blueprint("prefs", __name__)
ONE_YEAR = 365 * 24 * 3600


@bp.post("/preferences")
@public
def set_preferences():
    """Switch the page language or digits, then go back where the reader was."""
    lang, digits = request.form.get("lang"), request.form.get("digits")
    if g.get("user"):
        i18n.set_preferences(get_db(), g.user["id"], lang, digits)
    response = redirect(safe_next(request.form.get("next")))
    for name, value, allowed in (("lang", lang, i18n.LANGUAGES), ("digits", digits, i18n.DIGITS)):
        if value in allowed:
            response.set_cookie(
                name, value, max_age=ONE_YEAR, samesite="Strict", secure=request.is_secure
            )
    return response
