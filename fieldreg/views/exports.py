"""The exports page: coordinators and analysts download CSV, XLSX or PFIF (each one audited).

An export carries what its reader may read in pages: medical detail only for roles with
``medical:read`` (an analyst's triage export has the category, never conditions or notes).

A download is streamed (written as it is read, in constant memory). The page gives each
download a random token; while it runs, the page asks ``/exports/progress/TOKEN`` how many
rows have been written and shows a progress bar (without JavaScript the browser's own
download indicator is all there is).
"""

from __future__ import annotations

import re

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    jsonify,
    render_template,
    request,
    stream_with_context,
)
from flask_babel import gettext as _

from fieldreg import exports, streams
from fieldreg.access import allowed, requires
from fieldreg.db import get_db, setting

bp = Blueprint("exports", __name__)
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
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
    progress, body = exports.stream(
        get_db(),
        fmt,
        kind,
        request.form.get("hxl") == "1",
        partner,
        g.user["username"],
        medical=allowed(g.user["role"], "medical:read"),
    )
    token = request.form.get("progress", "")
    if TOKEN.fullmatch(token):
        progress.owner = g.user["username"]
        streams.follow(token, progress)
    mimetype, ext = FORMATS[fmt]
    station = setting(get_db(), "station_code") or "fieldreg"
    label = "all" if fmt == "xlsx" else kind
    suffix = "-" + "".join(ch for ch in partner if ch.isalnum())[:20] if partner else ""
    name = f"{station}-{label}{suffix}.{ext}"
    return Response(
        stream_with_context(body),
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
            "X-Export-Rows": str(progress.total),
        },
    )


@bp.get("/exports/progress/<token>")
@requires("export")
def progress(token: str):
    """Say how far the download with this token has got (rows written of rows expected)."""
    found = streams.progress_of(token, g.user["username"]) if TOKEN.fullmatch(token) else None
    if found is None:
        return jsonify({"done": 0, "total": None, "finished": False})
    return jsonify(found.view())
