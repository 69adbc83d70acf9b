"""Scan page: a photo of a tag (any phone), the live camera (where the browser can), or typing.

A replacement wristband is bound here too: a fresh pre-printed tag, scanned onto a person.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from fieldreg import audit, codes, scan
from fieldreg.access import requires
from fieldreg.db import get_db
from fieldreg.errors import DomainError

bp = Blueprint("scanning", __name__)


def actor() -> str | None:
    """Return who is acting, for the audit log."""
    return g.user["username"] if g.get("user") else None


@bp.route("/scan/photo", methods=["GET", "POST"])
@requires("search")
def photo():
    """Read the tag in an uploaded photo and open its record; the photo is not kept."""
    if request.method == "GET":
        return render_template("scan/scan.html")
    upload = request.files.get("image")
    if upload is None or not upload.filename:
        return render_template("scan/scan.html", error=_("Take or choose a photo first.")), 400
    data = upload.read()
    upload.close()
    try:
        found = scan.record_for(get_db(), scan.code_in_photo(data))
    except DomainError as exc:
        retry = {"Retry-After": str(exc.retry_after)} if exc.retry_after else {}
        return render_template("scan/scan.html", error=_message(exc)), exc.status, retry
    if found["kind"] == "free":
        error = _("This tag (%(code)s) is not bound to anyone yet.", code=found["code"])
        return render_template("scan/scan.html", error=error, free_code=found["code"]), 404
    db = get_db()
    tbl = "households" if found["kind"] == "household" else "people"
    audit.log_read(db, actor(), tbl, found["record"]["id"], "photo scan")
    endpoint = "register.household" if found["kind"] == "household" else "register.person"
    return redirect(url_for(endpoint, code=found["record_code"]))


def _message(exc: DomainError) -> str:
    """Say in the page's language what went wrong with a photo."""
    if exc.status == 413:
        return _("The picture is too large.")
    if isinstance(exc, scan.ScannerBusy):
        return _("The station is reading other photos: try again in a moment.")
    if exc.status == 404:
        return _("Unknown code: no tag with this code was printed here.")
    if isinstance(exc, scan.NotAnImage):
        return _("This is not a picture.")
    if isinstance(exc, scan.NotOurCode):
        return _("The picture holds a barcode, but not a FieldReg code.")
    if isinstance(exc, scan.NoTagFound):
        return _("No tag found in the picture: hold the tag flat, fill the frame, and retry.")
    return exc.message


@bp.post("/people/<code>/tags")
@requires("household:update")
def bind_tag(code):
    """Bind a fresh pre-printed tag to a registered person (a replacement wristband)."""
    code = codes.parse(code) or abort(404)
    scan.bind_replacement(get_db(), code, request.form.get("tag_code", ""), actor())
    return redirect(url_for("register.person", code=code))
