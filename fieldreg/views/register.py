"""Registrar pages: register a household, see and correct it, search, scan, print tags."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from fieldreg import (
    audit,
    bodies,
    codes,
    convoys,
    dedup,
    formrules,
    forms,
    medical,
    plausibility,
    records,
    search_index,
    tags,
)
from fieldreg import scan as scan_tags
from fieldreg import wristbands as bands_of
from fieldreg.access import allowed, requires
from fieldreg.db import get_db, setting, write
from fieldreg.errors import DomainError
from fieldreg.schemas import records as schemas
from fieldreg.views import medical as medical_views
from fieldreg.views import offline as offline_views
from fieldreg.views import tracing as tracing_views
from fieldreg.views.auth import safe_next

bp = Blueprint("register", __name__)


def actor() -> str | None:
    """Return who is acting, for the audit log."""
    return g.user["username"] if g.get("user") else None


def render_form(
    values: MultiDict, errors: dict, blocks: list[int], status: int = 200, warnings=None
):
    """Show the registration form with what was typed and the messages beside the fields."""
    return render_template(
        "register/form.html",
        values=values,
        errors=errors,
        warnings=warnings or {},
        blocks=blocks,
        schemas=schemas,
        prefix=forms.prefix,
        empty=MultiDict(),
        vehicle=_arriving_on(values.get("vehicle_id") or request.args.get("vehicle")),
        rules=formrules.rules(),
        today=dt.date.today().isoformat(),
        https_address=offline_views.https_address(),
    ), status


def _arriving_on(vehicle_id: str | None) -> dict | None:
    """Return the vehicle a household is registered as having come on (?vehicle=ID)."""
    return convoys.get_vehicle(get_db(), vehicle_id) if vehicle_id else None


@bp.get("/")
@requires("search")
def home():
    """Send each role to where its work starts."""
    return redirect(
        url_for("register.register") if allowed_register() else url_for("register.search")
    )


def allowed_register() -> bool:
    return allowed(g.user["role"], "household:create")


@bp.route("/register", methods=["GET", "POST"])
@requires("household:create")
def register():
    """Register a household with its members (or add a member block without JavaScript)."""
    if request.method == "GET":
        return render_form(MultiDict(), {}, [0])
    data, blocks = forms.household_from_form(request.form)
    if request.form.get("action") == "add_member":
        return render_form(request.form, {}, forms.member_indices(request.form) + [max(blocks) + 1])
    indices = forms.member_indices(request.form)
    try:
        loaded = schemas.HouseholdSchema().load(data)
        if loaded["arrival"].get("vehicle_id"):  # a closed vehicle takes nobody more
            vehicle = convoys.vehicle_row(get_db(), str(loaded["arrival"]["vehicle_id"]))
            convoys.check_open(vehicle, "arrive", allowed(g.user["role"], "convoys:manage"))
        found = plausibility.warnings(loaded, blocks)
        if found and request.form.get("action") != "save_anyway":
            return render_form(request.form, {}, indices, 200, found)
        household, _new = records.create_household(get_db(), loaded, actor())
    except ValidationError as exc:
        errors = forms.errors_for_form(exc.messages, blocks)
        return render_form(request.form, errors, indices, 400)
    except DomainError as exc:
        errors = forms.errors_for_form(exc.fields, blocks) or {"_": [exc.message]}
        return render_form(request.form, errors, indices, exc.status)
    return redirect(url_for("register.household", code=household["code"], saved=1))


def _view(kind: str, code: str) -> dict:
    """Load a household or person by a typed code, auditing the view; 404 page if unknown."""
    code = codes.parse(code) or abort(404, description=_("Not a valid code."))
    db = get_db()
    record = (
        records.get_household(db, code) if kind == "households" else records.get_person(db, code)
    )
    audit.log_read(db, actor(), kind, record["id"])
    return record


@bp.get("/households/<code>")
@requires("household:read")
def household(code):
    """Show a household, its members and their tags."""
    hh = _view("households", code)
    return render_template(
        "register/household.html",
        hh=hh,
        saved=request.args.get("saved"),
        **medical_views.household_context(hh),
    )


@bp.get("/households/<code>/card")
@requires("tags:print")
def card(code):
    """Print the household card (A6) with every member's code."""
    hh = _view("households", code)
    bands = [bands_of.band(m) for m in hh["members"]]
    return render_template("register/card.html", hh=hh, bands=bands)


@bp.get("/households/<code>/wristbands")
@requires("tags:print")
def wristbands(code):
    """Print a wristband label for each member."""
    hh = _view("households", code)
    bands = [bands_of.band(m) for m in hh["members"]]
    return render_template("register/wristbands.html", hh=hh, bands=bands)


@bp.route("/households/<code>/edit", methods=["GET", "POST"])
@requires("household:update")
def edit_household(code):
    """Correct a household's arrival, origin, destination, phone, needs and notes."""
    hh = _view("households", code)
    errors: dict = {}
    if request.method == "POST":
        data, _blocks = forms.household_from_form(request.form)
        data.pop("members", None)
        data.pop("tag_code", None)
        data.pop("client_id", None)
        try:
            loaded = schemas.HouseholdUpdateSchema().load(data)
            records.update_household(get_db(), hh["code"], loaded, actor())
            return redirect(url_for("register.household", code=hh["code"]))
        except ValidationError as exc:
            errors = forms.errors_for_form(exc.messages, [0])
    return render_template(
        "register/edit_household.html", hh=hh, errors=errors, values=request.form, schemas=schemas
    ), (400 if errors else 200)


@bp.route("/households/<code>/members/new", methods=["GET", "POST"])
@requires("household:update")
def add_member(code):
    """Add a person to a registered household."""
    hh = _view("households", code)
    return _person_form(hh, None, request.form)


@bp.get("/people/<code>")
@requires("person:read")
def person(code):
    """Show a person (with the triage panel for medical staff)."""
    person = _view("people", code)
    return render_template(
        "register/person.html",
        person=person,
        linked=dedup.linked_count(get_db(), person["id"]),
        **medical_views.person_context(person),
        **tracing_views.person_context(person),
    )


@bp.route("/people/<code>/edit", methods=["GET", "POST"])
@requires("household:update")
def edit_person(code):
    """Correct a person's names, sex, age or relationship."""
    person = _view("people", code)
    hh = records.get_household(get_db(), person["household_code"])
    return _person_form(hh, person, request.form)


def _back_to(hh: dict) -> str:
    """Return where the form was opened from (a path on this site), else the household."""
    default = url_for("register.household", code=hh["code"])
    return safe_next(request.values.get("next"), default)


def _person_form(hh: dict, person: dict | None, form: MultiDict):
    """Show and handle the one-person form (new member, or correction)."""
    errors: dict = {}
    back = _back_to(hh)
    if request.method == "POST":
        data = forms.person_from_form(form, "")
        try:
            if person is None:
                loaded = schemas.PersonSchema().load(data)
                saved = records.add_member(get_db(), hh["code"], loaded, actor())
            else:
                data.pop("tag_code", None)
                loaded = schemas.PersonUpdateSchema().load(data)
                saved = records.update_person(get_db(), person["code"], loaded, actor())
            if person is None:
                return redirect(url_for("register.household", code=saved["household_code"]))
            return redirect(back)
        except ValidationError as exc:
            errors = exc.messages
        except DomainError as exc:
            # A refusal about the household (it is full) has no field on this form.
            errors = {"_": [exc.message], **exc.fields}
    values = form if form else MultiDict(_person_values(person))
    return render_template(
        "register/person_form.html",
        hh=hh,
        person=person,
        values=values,
        errors=errors,
        schemas=schemas,
        back=back,
    ), (400 if errors else 200)


def _person_values(person: dict | None) -> dict:
    if not person:
        return {}
    values = {
        k: ("" if person[k] is None else str(person[k])) for k in forms.PERSON_INPUTS if k in person
    }
    if person.get("age_estimated"):
        values["age_estimated"] = "on"
    return values


@bp.get("/search")
@requires("search")
def search():
    """Find a household or person by code, phone or name."""
    q = request.args.get("q", "").strip()[:200]
    results = search_index.search(get_db(), q, 50) if q else []
    flags = medical.flags_by_code(get_db(), [r["code"] for r in results])
    if q:
        from fieldreg.api import log_search

        log_search(len(results))
    return render_template("register/search.html", q=q, results=results, flags=flags)


@bp.get("/scan")
@requires("search")
def scan():
    """Open the record a scanned or typed code belongs to (a keyboard scanner ends with ⏎)."""
    text = request.args.get("code", "").strip()[:40]
    try:
        found = scan_tags.record_for(get_db(), text)
    except DomainError as exc:
        if exc.status == 404:
            message = _("Unknown code: no tag with this code was printed here.")
        elif not text:
            message = _("Scan or type a code.")
        else:
            message = _("“%(code)s” is not a valid code: check the typing.", code=text)
        return render_template("register/search.html", q=text, results=[], error=message), (
            exc.status
        )
    if found["kind"] == "household":
        return redirect(url_for("register.household", code=found["record_code"]))
    if found["kind"] == "person":
        return redirect(url_for("register.person", code=found["record_code"]))
    message = _("This tag is not bound to anyone yet: use it when registering.")
    return render_template("register/search.html", q=text, results=[], error=message), 404


@bp.route("/tags/sheet", methods=["GET", "POST"])
@requires("tags:print")
def tag_sheet():
    """Print a sheet of fresh codes to bind to households at registration."""
    db = get_db()
    issued: list[str] = []
    if request.method == "POST":
        count = bodies.whole_number(request.form.get("count", "24"), digits=4) or 0
        if not 1 <= count <= tags.MAX_SHEET:
            abort(400, description=_("Between 1 and %(n)s codes.", n=tags.MAX_SHEET))
        with write(db):
            issued = tags.issue(db, "free", count)
            audit.log(db, actor(), "tags_issue", "codes", None, str(count))
    return render_template(
        "register/sheet.html",
        issued=issued,
        free=tags.free_codes(db),
        station=setting(db, "station_code"),
    )
