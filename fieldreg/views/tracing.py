"""Family tracing pages: the caseworker's page, opening a case, a case with its candidates, a
candidate side by side with the reasons, and the decisions (one tap each, on a tablet)."""

from __future__ import annotations

import re

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from fieldreg import (
    access,
    records,
    tracing,
    tracing_decide,
    tracing_figures,
    tracing_lists,
    tracing_match,
    tracing_photos,
)
from fieldreg.access import requires
from fieldreg.db import get_db, setting
from fieldreg.errors import DomainError
from fieldreg.schemas import records as record_schemas
from fieldreg.schemas import tracing as schemas
from fieldreg.stats import Period

bp = Blueprint("tracing", __name__, url_prefix="/tracing")
TEXTS = ("separation", "given_name", "father_name", "mother_name", "family_name", "sex",
         "age_years", "date_of_birth", "origin", "separated_place", "separated_on",
         "brought_by", "description", "carer", "relationship", "enquirer_name",
         "enquirer_contact", "consent_by")  # fmt: skip
# The engine names its fields and levels in English; caseworkers read them translated.
FIELDS = {
    "given": _l("Given name"), "father": _l("Father's name"), "mother": _l("Mother's name"),
    "family": _l("Family name"), "sibling": _l("A sibling's name"), "origin": _l("Home town"),
    "birth": _l("Age"), "sex": _l("Sex"), "place": _l("Where separated"),
    "date": _l("When separated"), "enquiry": _l("An enquiry from this household"),
}  # fmt: skip
LEVELS = {
    "different": _l("different"), "similar": _l("similar"), "same sound": _l("same sound"),
    "same spelling": _l("same spelling"), "same": _l("same"), "plausible": _l("plausible"),
    "within estimate": _l("within the age estimate"), "close": _l("close"),
    "same year": _l("same year"), "missing": _l("missing"),
}  # fmt: skip


def viewer() -> tracing.Viewer:
    """Return who reads: child protection sees every case, a registrar their own."""
    user = g.user
    return tracing.Viewer(user["username"], access.allowed(user["role"], "tracing:read"))


def person_context(person: dict) -> dict:
    """Return the tracing cases of a person that the reader may see (for the person page)."""
    if not access.allowed(g.user["role"], "tracing:open"):
        return {"tracing_cases": []}
    sees, here = viewer(), setting(get_db(), "station_code")
    rows = tracing.cases_of(get_db(), person["id"])
    return {"tracing_cases": [r for r in rows if tracing.sees(sees, r, here)]}


def case_from_form(form: MultiDict) -> dict:
    """Read a case form into TracingCaseFieldsSchema's shape."""
    data = {k: form[k] for k in TEXTS if form.get(k, "").strip()}
    named = re.split(r"[\n,،;]", form.get("siblings", ""))
    data["siblings"] = [s.strip() for s in named if s.strip()]
    for box in ("consent_share", "assent"):
        data[box] = form.get(box) == "on"
    return data


@bp.get("/")
@requires("tracing:open")
def index():
    """Show the caseworker's page: new possible matches, open cases, the figures."""
    db, sees = get_db(), viewer()
    waiting, figures = [], None
    if sees.sees_all:
        tracing_match.refresh(db)
        here = setting(db, "station_code") if request.args.get("all") != "1" else None
        waiting = tracing_lists.proposals(db, station=None if _is_hq() else here)
    if access.allowed(g.user["role"], "tracing:counts"):
        figures = tracing_figures.figures(db, Period())
    cases = tracing.list_cases(db, sees, request.args.get("status", "open"))
    return render_template("tracing/index.html", waiting=waiting, cases=cases, figures=figures,
                           fields=FIELDS, levels=LEVELS)  # fmt: skip


def _is_hq() -> bool:
    """Tell whether this instance is HQ (its caseworkers see every station's matches)."""
    return current_app.config["ROLE"] == "hq"


@bp.route("/new", methods=["GET", "POST"])
@requires("tracing:open")
def new():
    """Open a case: a child who arrived alone (registered now or before), or an enquiry."""
    kind = request.args.get("kind", "child")
    if kind not in schemas.KINDS:
        abort(400, description=_("A case is for a child or an enquiry."))
    code = request.args.get("person", "").strip()[:20] or None
    person = records.get_person(get_db(), code) if code else None
    if request.method == "GET":
        return _form(kind, person, MultiDict(), {})
    data = case_from_form(request.form)
    try:
        if _new_child(kind, person):  # registered here and now, as a household of one
            loaded = {**schemas.TracingCaseFieldsSchema().load(data), "kind": kind}
            loaded["person_code"] = _register_child(loaded, request.form)
        else:
            loaded = schemas.TracingCaseSchema().load({**data, "kind": kind, "person_code": code})
        case = tracing.open_case(get_db(), loaded, g.user["username"])
    except ValidationError as exc:
        return _form(kind, person, request.form, exc.messages, 400)
    except DomainError as exc:
        return _form(kind, person, request.form, exc.fields or {"_": [exc.message]}, exc.status)
    upload = request.files.get("photo")
    if upload and upload.filename:
        tracing_photos.set_photo(get_db(), case["id"], upload.read(), viewer())
    tracing_match.refresh(get_db())
    return redirect(url_for("tracing.case", case_id=case["id"], saved=1))


def _new_child(kind: str, person: dict | None) -> bool:
    """Tell whether the form registers the child too (it arrived alone, not registered yet)."""
    return kind == "child" and person is None


def _register_child(case: dict, form: MultiDict) -> str:
    """Register a child who arrived alone as a household of one; return its code."""
    flag = tracing.VULNERABILITY[case.get("separation") or "unaccompanied"]
    member = {k: case[k] for k in tracing.FROM_PERSON if case.get(k) is not None}
    member.update({"relationship": "head", "vulnerabilities": [flag],
                   "age_estimated": form.get("age_estimated") == "on"})  # fmt: skip
    origin = {"district": case["origin"]} if case.get("origin") else {}
    try:
        data = record_schemas.HouseholdSchema().load({
            "members": [member], "origin": origin,
            "consent_share": bool(case.get("consent_share")),
        })  # fmt: skip
    except ValidationError as exc:  # the child's own fields: shown beside the same inputs
        raise ValidationError(exc.messages.get("members", {}).get(0, exc.messages)) from None
    household, _new = records.create_household(get_db(), data, g.user["username"])
    return household["members"][0]["code"]


def _form(kind: str, person: dict | None, values: MultiDict, errors: dict, status: int = 200):
    """Show the case form with what was typed and the messages beside the fields."""
    return render_template(
        "tracing/new.html",
        kind=kind,
        person=person,
        values=values,
        errors=errors,
        new_child=_new_child(kind, person),
    ), status


def _case_or_404(case_id: str) -> dict:
    """Return a case the viewer may see (reading it is audited), or the 404 page."""
    return tracing.get_case(get_db(), case_id, viewer())


@bp.get("/cases/<case_id>")
@requires("tracing:open")
def case(case_id):
    """Show a case; child protection also sees its photo and its ranked candidates."""
    db, sees = get_db(), viewer()
    shown = _case_or_404(case_id)
    listed = []
    if sees.sees_all and shown["status"] == "open":
        listed = tracing_lists.describe(db, shown, tracing_match.candidates(db, shown))
    return render_template("tracing/case.html", case=shown, candidates=listed,
                           saved=request.args.get("saved"), fields=FIELDS,
                           levels=LEVELS)  # fmt: skip


@bp.route("/cases/<case_id>/edit", methods=["GET", "POST"])
@requires("tracing:open")
def edit(case_id):
    """Add to an open case: what the child said later, the carer now, consent."""
    shown = _case_or_404(case_id)
    errors: dict = {}
    if request.method == "POST":
        try:
            loaded = schemas.TracingCaseFieldsSchema().load(case_from_form(request.form))
            tracing.update_case(get_db(), case_id, loaded, viewer())
            tracing_match.refresh(get_db())
            return redirect(url_for("tracing.case", case_id=case_id))
        except ValidationError as exc:
            errors = exc.messages
        except DomainError as exc:
            errors = exc.fields or {"_": [exc.message]}
    values = request.form if request.method == "POST" else _values(shown)
    return render_template("tracing/edit.html", case=shown, values=values,
                           errors=errors), (400 if errors else 200)  # fmt: skip


def _values(case: dict) -> MultiDict:
    """Return a case's fields as form values."""
    values = {k: "" if case.get(k) is None else str(case[k]) for k in TEXTS}
    values["siblings"] = "\n".join(case.get("siblings") or [])
    values.update({box: "on" for box in ("consent_share", "assent") if case.get(box)})
    return MultiDict(values)


@bp.post("/cases/<case_id>/notes")
@requires("tracing:open")
def note(case_id):
    """Add a note to a case."""
    text = request.form.get("text", "").strip()[:2000]
    if not text:
        abort(400, description=_("Write the note first."))
    tracing.add_note(get_db(), case_id, text, viewer())
    return redirect(url_for("tracing.case", case_id=case_id))


@bp.post("/cases/<case_id>/photo")
@requires("tracing:open")
def photo_upload(case_id):
    """Keep a photo for a case (it replaces the one it had)."""
    upload = request.files.get("photo")
    if upload is None or not upload.filename:
        abort(400, description=_("Choose a photo first."))
    tracing_photos.set_photo(get_db(), case_id, upload.read(), viewer())
    return redirect(url_for("tracing.case", case_id=case_id))


@bp.get("/cases/<case_id>/photo")
@requires("tracing:read")
def photo(case_id):
    """Return a case's photo (seeing it is audited)."""
    db = get_db()
    tracing.visible_row(db, case_id, viewer())
    data = tracing_photos.photo(db, case_id, g.user["username"])
    if data is None:
        abort(404, description=_("This case has no photo."))
    return Response(data, mimetype="image/jpeg", headers={"Cache-Control": "no-store"})


@bp.get("/cases/<case_id>/compare/<target_id>")
@requires("tracing:read")
def compare(case_id, target_id):
    """Show a case and one candidate side by side, with the reasons and the decision."""
    db = get_db()
    shown = _case_or_404(case_id)
    found = tracing_lists.candidate_for(db, shown, target_id)
    if found is None:
        abort(404, description=_("This candidate is no longer proposed."))
    return render_template("tracing/compare.html", case=shown, cand=found,
                           other=tracing_lists.target_records(db, found), fields=FIELDS,
                           levels=LEVELS)  # fmt: skip


@bp.post("/cases/<case_id>/decide")
@requires("tracing:decide")
def decide(case_id):
    """Confirm a candidate (reunified, or a verification visit) or reject it, in one tap."""
    form = request.form
    verdict, outcome = form.get("verdict", ""), form.get("outcome", "reunified")
    if verdict not in schemas.VERDICTS or outcome not in schemas.CONFIRMED_AS:
        abort(400, description=_("Confirm or reject."))
    tracing_decide.decide(get_db(), case_id, form.get("target_id", "")[:64], verdict, outcome,
                          form.get("note", "").strip()[:1000] or None,
                          g.user["username"])  # fmt: skip
    return redirect(url_for("tracing.case", case_id=case_id, done=verdict))


@bp.post("/cases/<case_id>/close")
@requires("tracing:decide")
def close(case_id):
    """Close a case without a match."""
    note = request.form.get("note", "").strip()[:1000] or None
    tracing.close_case(get_db(), case_id, note, g.user["username"])
    return redirect(url_for("tracing.case", case_id=case_id))


@bp.post("/cases/<case_id>/reunite")
@requires("tracing:decide")
def reunite(case_id):
    """Record that a child whose family was traced is back with them."""
    tracing_decide.reunite(get_db(), case_id, g.user["username"])
    return redirect(url_for("tracing.case", case_id=case_id))
