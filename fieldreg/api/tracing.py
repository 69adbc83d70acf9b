"""JSON API of family tracing (under /api/v1/tracing): cases, notes, photos, candidates,
proposals, decisions, figures and PFIF exchange with partners."""

from __future__ import annotations

from flask import Response, g, request

from fieldreg import (
    access,
    tracing,
    tracing_decide,
    tracing_figures,
    tracing_lists,
    tracing_match,
    tracing_pfif,
    tracing_photos,
)
from fieldreg.access import requires
from fieldreg.api import IMAGE_BODY, Blueprint, actor
from fieldreg.db import get_db
from fieldreg.errors import DomainError, NotFound
from fieldreg.schemas.tracing import (
    TracingCandidateListSchema,
    TracingCaseFieldsSchema,
    TracingCaseListArgsSchema,
    TracingCaseListSchema,
    TracingCaseSchema,
    TracingCaseViewSchema,
    TracingCloseSchema,
    TracingDecisionResultSchema,
    TracingDecisionSchema,
    TracingFiguresSchema,
    TracingMatchListSchema,
    TracingNoteSchema,
    TracingNoteViewSchema,
    TracingPfifImportSchema,
)
from fieldreg.stats import Period

blp = Blueprint("tracing_api", __name__, url_prefix="/api/v1/tracing", description="Tracing")
PFIF_BODY = {"required": True, "content": {"application/xml": {"schema": {"type": "string"}}}}


def viewer() -> tracing.Viewer:
    """Return who reads: child protection sees every case, a registrar their own."""
    return tracing.Viewer(actor(), access.allowed(g.user["role"], "tracing:read"))


@blp.route("/cases", methods=["POST"])
@requires("tracing:open")
@blp.arguments(TracingCaseSchema())
@blp.response(201, TracingCaseViewSchema())
def open_case(data):
    """Open a case: a child alone (its code) or an enquiry "looking for" someone."""
    db = get_db()
    case = tracing.open_case(db, data, actor())
    tracing_match.refresh(db)
    return tracing.get_case(db, case["id"], viewer(), audited=False)


@blp.route("/cases", methods=["GET"])
@requires("tracing:open")
@blp.arguments(TracingCaseListArgsSchema(), location="query")
@blp.response(200, TracingCaseListSchema())
def list_cases(args):
    """List the cases the caller may see (a registrar: the ones they opened)."""
    cases = tracing.list_cases(get_db(), viewer(), args["status"], args.get("kind"),
                               args["limit"])  # fmt: skip
    return {"cases": cases}


@blp.route("/cases/<case_id>", methods=["GET"])
@requires("tracing:open")
@blp.response(200, TracingCaseViewSchema())
def get_case(case_id):
    """Return a case as the caller may see it."""
    return tracing.get_case(get_db(), case_id, viewer())


@blp.route("/cases/<case_id>", methods=["PATCH"])
@requires("tracing:open")
@blp.arguments(TracingCaseFieldsSchema(partial=True))
@blp.response(200, TracingCaseViewSchema())
def update_case(data, case_id):
    """Add to an open case (only the fields sent change)."""
    db = get_db()
    case = tracing.update_case(db, case_id, data, viewer())
    tracing_match.refresh(db)
    return case


@blp.route("/cases/<case_id>/notes", methods=["POST"])
@requires("tracing:open")
@blp.arguments(TracingNoteSchema())
@blp.response(201, TracingNoteViewSchema())
def add_note(data, case_id):
    """Add a note to a case (what the child said later, a call, a visit)."""
    return tracing.add_note(get_db(), case_id, data["text"], viewer())


@blp.route("/cases/<case_id>/photo", methods=["PUT"])
@requires("tracing:open")
@blp.doc(requestBody=IMAGE_BODY)
@blp.response(204)
def put_photo(case_id):
    """Keep a photo for a case (multipart field ``image``); it replaces the one it had."""
    upload = request.files.get("image")
    if upload is None:
        raise DomainError("Send the photo as the multipart field 'image'.", {"image": ["Missing."]})
    tracing_photos.set_photo(get_db(), case_id, upload.read(), viewer())
    return Response(status=204)


@blp.route("/cases/<case_id>/photo", methods=["GET"])
@requires("tracing:read")
@blp.response(200, {"format": "binary", "type": "string"}, content_type="image/jpeg")
def get_photo(case_id):
    """Return a case's photo (JPEG); seeing it is audited."""
    db = get_db()
    tracing.visible_row(db, case_id, viewer())
    data = tracing_photos.photo(db, case_id, actor())
    if data is None:
        raise NotFound("This case has no photo.")
    return Response(data, mimetype="image/jpeg", headers={"Cache-Control": "no-store"})


@blp.route("/cases/<case_id>/candidates", methods=["GET"])
@requires("tracing:read")
@blp.response(200, TracingCandidateListSchema())
def candidates(case_id):
    """Rank an open case's candidates now, strongest first, with the reasons field by field."""
    db = get_db()
    case = tracing.get_case(db, case_id, viewer())
    ranked = tracing_match.candidates(db, case) if case["status"] == "open" else []
    return {"case_id": case_id, "candidates": tracing_lists.describe(db, case, ranked)}


@blp.route("/cases/<case_id>/close", methods=["POST"])
@requires("tracing:decide")
@blp.arguments(TracingCloseSchema())
@blp.response(200, TracingCaseViewSchema())
def close_case(data, case_id):
    """Close an open case without a match."""
    return tracing.close_case(get_db(), case_id, data.get("note"), actor())


@blp.route("/matches", methods=["GET"])
@requires("tracing:read")
@blp.response(200, TracingMatchListSchema())
def matches():
    """List the proposals waiting for a caseworker (refreshed first), likeliest first."""
    db = get_db()
    tracing_match.refresh(db)
    return {"matches": tracing_lists.proposals(db)}


@blp.route("/decisions", methods=["POST"])
@requires("tracing:decide")
@blp.arguments(TracingDecisionSchema())
@blp.response(201, TracingDecisionResultSchema())
def decide(body):
    """Confirm a candidate (reunified, or a verification visit to come) or reject it."""
    return tracing_decide.decide(get_db(), body["case_id"], body["target_id"], body["verdict"],
                                 body["outcome"], body.get("note"), actor())  # fmt: skip


@blp.route("/stats", methods=["GET"])
@requires("tracing:counts")
@blp.response(200, TracingFiguresSchema())
def figures():
    """Return the children-alone figures (counts only)."""
    return tracing_figures.figures(get_db(), Period()) or {}


@blp.route("/pfif", methods=["GET"])
@requires("tracing:exchange")
@blp.response(200, {"type": "string"}, content_type="application/xml")
def export_pfif():
    """Return the open cases with consent to share as PFIF 1.4 (for tracing partners)."""
    body = tracing_pfif.export(get_db(), actor())
    return Response(
        body,
        mimetype="application/xml",
        headers={"Content-Disposition": 'attachment; filename="tracing.pfif.xml"'},
    )


@blp.route("/pfif", methods=["POST"])
@requires("tracing:exchange")
@blp.doc(requestBody=PFIF_BODY)
@blp.response(200, TracingPfifImportSchema())
def import_pfif():
    """Take a partner's PFIF file (the body, or the multipart field ``file``) as enquiries."""
    upload = request.files.get("file")
    data = upload.read() if upload else request.get_data()
    db = get_db()
    counts = tracing_pfif.import_file(db, data, actor())
    tracing_match.refresh(db)
    return counts
