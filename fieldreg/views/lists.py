"""Pages for another agency's list: import it, map its columns, read the reconciliation,
print it, download it (CSV or XLSX, with HXL hashtags)."""

from __future__ import annotations

from flask import Blueprint, Response, g, redirect, render_template, request, url_for

from fieldreg import convoys, foreign, foreign_report, manifests
from fieldreg.access import allowed, requires
from fieldreg.db import get_db
from fieldreg.errors import DomainError

bp = Blueprint("lists", __name__, url_prefix="/lists")
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def actor() -> str | None:
    """Return who is acting, for the audit log."""
    return g.user["username"] if g.get("user") else None


def scopes() -> list[tuple[str, str]]:
    """Return what a list can be compared with: everyone here, or one convoy's people."""
    found = [("all", "")]
    found += [(f"convoy:{c['id']}", c["reference"]) for c in convoys.list_convoys(get_db())]
    return found


@bp.get("/")
@requires("convoys:reconcile")
def index(error: DomainError | None = None, status: int = 200):
    """List the imported lists; coordinators import a new one here."""
    return render_template(
        "lists/index.html", lists=foreign.all_lists(get_db()), scopes=scopes(), error=error,
        encodings=list(manifests.ENCODINGS),
    ), status  # fmt: skip


@bp.post("/")
@requires("lists:import")
def upload():
    """Import a CSV or XLSX list, then ask which column holds what."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return index(DomainError("Choose a CSV or XLSX file.", {"file": ["Missing."]}), 400)
    meta = {k: request.form.get(k, "") for k in ("name", "agency", "scope", "encoding")}
    try:
        found = foreign.import_list(get_db(), upload.filename, upload.read(), meta, actor())
    except DomainError as exc:
        if exc.status == 404:
            raise
        return index(exc, exc.status)
    return redirect(url_for("lists.show", list_id=found["id"]))


@bp.get("/<list_id>")
@requires("convoys:reconcile")
def show(list_id, error: DomainError | None = None, status: int = 200):
    """Show the column mapping (until there is one), then the reconciliation by name."""
    db = get_db()
    found = foreign.get_list(db, list_id)
    mapping_form = request.args.get("map") or not found["result"]
    if mapping_form and allowed(g.user["role"], "lists:import"):
        sample = foreign.list_rows(db, list_id)[:5]
        return render_template(
            "lists/mapping.html", lst=found, sample=sample, fields=manifests.FIELDS,
            scopes=scopes(), error=error,
        ), status  # fmt: skip
    return render_template(
        "lists/result.html", **foreign_report.named(db, list_id), printable=False
    )


@bp.post("/<list_id>/mapping")
@requires("lists:import")
def map_columns(list_id):
    """Save the mapping (remembered for lists alike) and reconcile the list."""
    header = foreign.get_list(get_db(), list_id)["header"]
    mapping = {col: request.form.get(f"col-{i}", "") for i, col in enumerate(header)}
    mapping = {col: field for col, field in mapping.items() if field}
    try:
        foreign.reconcile_list(get_db(), list_id, mapping, request.form.get("scope"), actor())
    except DomainError as exc:
        if exc.status == 404:
            raise
        return show(list_id, exc, exc.status)
    return redirect(url_for("lists.show", list_id=list_id))


@bp.get("/<list_id>/report")
@requires("convoys:reconcile")
def report(list_id):
    """Show the whole reconciliation, ready to print."""
    return render_template(
        "lists/result.html", **foreign_report.named(get_db(), list_id, limit=None), printable=True
    )


@bp.get("/<list_id>/export")
@requires("convoys:reconcile")
def export(list_id):
    """Download the reconciliation (``?format=csv|xlsx&hxl=1``); audited."""
    fmt = "xlsx" if request.args.get("format") == "xlsx" else "csv"
    hxl = request.args.get("hxl") == "1"
    body = foreign_report.export(get_db(), list_id, fmt, hxl, actor())
    name = f"reconciliation-{list_id[-8:]}.{fmt}"
    return Response(body, mimetype=FORMATS[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


@bp.post("/<list_id>/delete")
@requires("lists:import")
def delete(list_id):
    """Delete an imported list and its reconciliation."""
    foreign.delete_list(get_db(), list_id, actor())
    return redirect(url_for("lists.index"))
