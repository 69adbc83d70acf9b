"""Family tracing with partners: download the open cases with consent as PFIF 1.4, take a
partner's PFIF file as enquiries."""

from __future__ import annotations

from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from fieldreg import tracing_match, tracing_pfif
from fieldreg.access import requires
from fieldreg.db import get_db, setting
from fieldreg.errors import DomainError

bp = Blueprint("tracing_exchange", __name__, url_prefix="/tracing/exchange")


@bp.get("/")
@requires("tracing:exchange")
def page():
    """Show what goes out (cases with consent) and the form to take a partner's file."""
    done = {k: request.args.get(k) for k in ("imported", "updated", "skipped")}
    return render_template("tracing/exchange.html", done=done if any(done.values()) else None)


@bp.get("/pfif.xml")
@requires("tracing:exchange")
def download():
    """Download the open cases with consent to share, as PFIF 1.4 (an audited export)."""
    db = get_db()
    name = f"tracing-{(setting(db, 'station_code') or 'hq').lower()}.pfif.xml"
    return Response(
        tracing_pfif.export(db, g.user["username"]),
        mimetype="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/import")
@requires("tracing:exchange")
def upload():
    """Take a partner's PFIF file as enquiries, then match them."""
    file = request.files.get("file")
    if file is None or not file.filename:
        return render_template("tracing/exchange.html", error=_("Choose a PFIF file first.")), 400
    db = get_db()
    try:
        counts = tracing_pfif.import_file(db, file.read(), g.user["username"])
    except DomainError as exc:
        message = _("This file cannot be imported: %(why)s", why=exc.message)
        return render_template("tracing/exchange.html", error=message), exc.status
    tracing_match.refresh(db)
    return redirect(url_for("tracing_exchange.page", **counts))
