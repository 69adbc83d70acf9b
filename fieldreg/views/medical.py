"""Medical tent and movement pages: the triage queue, the triage panel, movement forms."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from fieldreg import codes, medical, movements, records
from fieldreg.access import allowed, requires
from fieldreg.db import get_db
from fieldreg.errors import DomainError
from fieldreg.errors_http import render_error
from fieldreg.schemas import medical as schemas_medical

bp = Blueprint("medical", __name__)
REFRESH_SECONDS = 15


def actor() -> str | None:
    """Return who is acting, for the audit log."""
    return g.user["username"] if g.get("user") else None


@bp.app_template_filter("waiting")
def waiting(minutes: int) -> str:
    """Write a waiting time the way a tired medic reads it: 7 min, 2 h 05."""
    if minutes < 60:
        return _("%(n)s min", n=minutes)
    return _("%(h)s h %(m)s", h=minutes // 60, m=f"{minutes % 60:02d}")


def valid(code: str) -> str:
    """Return a typed code in display form, or answer 404."""
    return codes.parse(code) or abort(404, description=_("Not a valid code."))


def _queue_args() -> dict:
    """Read the queue filters from the query string (bad values answer 400)."""
    try:
        return schemas_medical.QueueArgsSchema().load(request.args)
    except ValidationError:
        abort(400, description=_("Unknown filter."))


@bp.get("/medical")
@requires("medical:read")
def queue():
    """Show the queue of flagged people still here, most urgent first."""
    args = _queue_args()
    people = medical.queue(get_db(), args["status"], args["category"])
    return render_template(
        "medical/queue.html",
        people=people,
        args=args,
        refresh=REFRESH_SECONDS,
        fragment_url=url_for("medical.queue_fragment", **request.args),
    )


@bp.get("/medical/queue.part")
@requires("medical:read")
def queue_fragment():
    """Return the queue list alone, for the page to refresh itself."""
    args = _queue_args()
    people = medical.queue(get_db(), args["status"], args["category"])
    return render_template("medical/_queue_list.html", people=people, args=args)


def triage_from_form(form: MultiDict) -> dict:
    """Read the triage panel's inputs into TriageSchema's shape."""
    data = {
        key: form.get(key, "")
        for key in ("category", "condition_other", "mobility", "note")
        if form.get(key, "").strip()
    }
    data["conditions"] = form.getlist("conditions")
    referral = {
        key: form.get(f"referral_{key}", "")
        for key in ("hospital", "transport", "status")
        if form.get(f"referral_{key}", "").strip()
    }
    if referral.get("hospital") or referral.get("transport"):
        data["referral"] = referral
    return data


@bp.post("/people/<code>/triage")
@requires("medical:write")
def triage(code):
    """Save a triage entry from the person page's panel (a category button submits it)."""
    person = records.get_person(get_db(), valid(code))
    try:
        loaded = schemas_medical.TriageSchema().load(triage_from_form(request.form))
        medical.record_triage(get_db(), person["code"], loaded, actor())
    except ValidationError as exc:
        return render_template(
            "register/person.html",
            person=person,
            triage_errors=exc.messages,
            **person_context(person, request.form),
        ), 400
    if request.form.get("next") == "queue":
        return redirect(url_for("medical.queue"))
    return redirect(url_for("register.person", code=person["code"], _anchor="triage"))


def movement_from_form(form: MultiDict) -> dict:
    """Read a movement form into MovementSchema's shape."""
    data = {k: form[k] for k in ("kind", "transport", "note") if form.get(k, "").strip()}
    data["destination"] = {
        key: form[f"destination_{key}"]
        for key in ("kind", "name", "place")
        if form.get(f"destination_{key}", "").strip()
    }
    return data


def _move(kind: str, code: str):
    """Record a movement from a page form and go back to the record's page."""
    code = valid(code)
    endpoint = "register.household" if kind == "household" else "register.person"
    back = url_for(endpoint, code=code, _anchor="movements")
    label = _("Back to the household") if kind == "household" else _("Back to the person")
    try:
        loaded = schemas_medical.MovementSchema().load(movement_from_form(request.form))
        move = movements.move_household if kind == "household" else movements.move_person
        move(get_db(), code, loaded, actor())
    except ValidationError as exc:
        message = _("Choose what happened.") if "kind" in exc.messages else _("Check the form.")
        return render_error(400, message, exc.messages, back=(back, label))
    except DomainError as exc:
        return render_error(exc.status, exc.message, exc.fields, exc.code, back=(back, label))
    return redirect(back)


@bp.post("/households/<code>/movements")
@requires("movements:write")
def move_household(code):
    """Record that a household left or came back."""
    return _move("household", code)


@bp.post("/people/<code>/movements")
@requires("movements:write")
def move_person(code):
    """Record that one person left, was transferred, or came back."""
    return _move("person", code)


def person_context(person: dict, form: MultiDict | None = None) -> dict:
    """Give the person page its flag, movements and, for medical staff, the triage panel."""
    db = get_db()
    role = g.user["role"]
    household = records.get_household(db, person["household_code"])
    context = {
        "flag": medical.flags(db, [person["id"]]).get(person["id"]),
        "moves": movements.history(db, household["id"], person["id"]),
        "M": schemas_medical,
        "from_queue": request.values.get("from") == "queue" or request.form.get("next") == "queue",
    }
    if allowed(role, "medical:read"):
        entries = medical.history(db, person["id"])
        context["triage_history"] = entries
        context["triage_values"] = form if form is not None else _values(entries[:1])
    return context


def _values(current: list[dict]) -> MultiDict:
    """Pre-fill the triage panel with the current state, so re-triage changes only what moved."""
    if not current:
        return MultiDict()
    entry = current[0]
    referral = entry["referral"] or {}
    values = MultiDict([("conditions", c) for c in entry["conditions"]])
    # The note is left blank: it tells what happened at this triage, not a lasting state.
    for key in ("category", "condition_other", "mobility"):
        values[key] = entry[key] or ""
    for key in ("hospital", "transport", "status"):
        values[f"referral_{key}"] = referral.get(key) or ""
    return values


def household_context(household: dict) -> dict:
    """Give the household page its members' flags and its movements."""
    db = get_db()
    return {
        "flags": medical.flags(db, [m["id"] for m in household["members"]]),
        "moves": movements.history(db, household["id"]),
        "M": schemas_medical,
    }
