"""The exports page: coordinators and analysts download CSV, XLSX or PFIF (each one audited).

An export carries what its reader may read in pages: medical detail only for roles with
``medical:read`` (an analyst's triage export has the category, never conditions or notes).
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, g, render_template, request
from flask_babel import gettext as _

from fieldreg import exports
from fieldreg.access import allowed, requires
from fieldreg.db import get_db, setting

bp = Blueprint("exports", __name__)
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "pfif": ("application/xml", "xml"),
}


@bp.get("/exports")
@requires("export")
def page():
    """Show what can be exported, and how."""
    return render_template("exports/page.html", kinds=exports.kinds(get_db()))


@bp.post("/exports")
@requires("export")
def download():
    """Build the asked export and send it as a download."""
    fmt, kind = request.form.get("format", "csv"), request.form.get("kind", "people")
    if fmt not in FORMATS or kind not in exports.KINDS:
        abort(400, description=_("Unknown export."))
    partner = request.form.get("partner", "").strip()[:60] or None
    body = exports.export(
        get_db(),
        fmt,
        kind,
        request.form.get("hxl") == "1",
        partner,
        g.user["username"],
        medical=allowed(g.user["role"], "medical:read"),
    )
    mimetype, ext = FORMATS[fmt]
    station = setting(get_db(), "station_code") or "fieldreg"
    label = "all" if fmt == "xlsx" else kind
    suffix = "-" + "".join(ch for ch in partner if ch.isalnum())[:20] if partner else ""
    name = f"{station}-{label}{suffix}.{ext}"
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
