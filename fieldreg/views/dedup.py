"""HQ deduplication pages: the review queue, a pair side by side, a person's cluster."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from fieldreg import dedup
from fieldreg.access import requires
from fieldreg.db import get_db

bp = Blueprint("dedup", __name__, url_prefix="/dedup")
# The engine names its fields and agreement levels in English; reviewers read them translated.
FIELDS = {
    "given": _l("Given name"), "father": _l("Father's name"), "mother": _l("Mother's name"),
    "family": _l("Family name"), "birth": _l("Date of birth"), "sex": _l("Sex"),
    "phone": _l("Phone"), "id_number": _l("ID number"), "origin": _l("Origin"),
    "address": _l("Street address"), "postcode": _l("Postcode"), "locality": _l("Locality"),
}  # fmt: skip
LEVELS = {
    "different": _l("different"), "similar": _l("similar"), "same sound": _l("same sound"),
    "same spelling": _l("same spelling"), "plausible": _l("plausible"),
    "within estimate": _l("within the age estimate"), "close": _l("close"),
    "same year": _l("same year"), "day/month swapped": _l("day and month swapped"),
    "same date": _l("same date"), "same": _l("same"), "missing": _l("missing"),
    "one digit off": _l("one digit off"), "same street": _l("same street"), "near": _l("near"),
}  # fmt: skip


@bp.get("/")
@requires("dedup:review")
def queue():
    """List the pairs waiting for review, strongest first."""
    db = get_db()
    return render_template(
        "dedup/queue.html",
        pairs=dedup.review_queue(db),
        figures=dedup.unique(db, None),
        done=request.args.get("done"),
        last=(request.args.get("a"), request.args.get("b")),
    )


@bp.get("/pair")
@requires("dedup:review")
def pair():
    """Show two people side by side: what agreed, what did not, and each field's weight."""
    a, b = request.args.get("a", ""), request.args.get("b", "")
    if not a or not b or a == b:
        abort(400, description=_("Two people are needed: ?a=...&b=..."))
    return render_template(
        "dedup/pair.html", pair=dedup.explain(get_db(), a, b), field_names=FIELDS, levels=LEVELS
    )


@bp.post("/decide")
@requires("dedup:review")
def decide():
    """Link, keep apart or undo with one tap, then go back where the reviewer came from."""
    if current_app.config["ROLE"] != "hq":
        abort(404, description=_("Deduplication decisions are HQ's: this is a station."))
    form = request.form
    dedup.decide(get_db(), form.get("a", ""), form.get("b", ""), form.get("verdict", ""),
                 g.user["username"] if g.get("user") else None)  # fmt: skip
    if form.get("back") == "pair":
        return redirect(url_for("dedup.pair", a=form["a"], b=form["b"]))
    # Back to the queue, with the last decision and its Undo button on top.
    return redirect(url_for("dedup.queue", done=form.get("verdict"), a=form["a"], b=form["b"]))


@bp.get("/person/<person_id>")
@requires("dedup:review")
def person(person_id: str):
    """Show the registrations linked with a person."""
    members = dedup.cluster_members(get_db(), person_id)
    if not members:
        abort(404, description=_("This person is in no cluster yet."))
    return render_template("dedup/person.html", members=members, person_id=person_id)
