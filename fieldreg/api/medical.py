"""JSON API of triage, the medical queue, movements and scanning (mounted under /api/v1)."""

from __future__ import annotations

from flask import request, url_for

from fieldreg import medical, movements, records, scan
from fieldreg.access import requires
from fieldreg.api import IMAGE_BODY, Blueprint, actor, log_view, valid_code
from fieldreg.db import get_db
from fieldreg.errors import DomainError
from fieldreg.schemas.medical import (
    MovementResultSchema,
    MovementSchema,
    QueueArgsSchema,
    QueueSchema,
    ScanResultSchema,
    TagBindSchema,
    TriageHistorySchema,
    TriageSchema,
)
from fieldreg.schemas.records import HouseholdSchema, PersonSchema

blp = Blueprint("medical_api", __name__, url_prefix="/api/v1", description="Triage, movements")
scan_blp = Blueprint("scan_api", __name__, url_prefix="/api/v1", description="Scanning")


@blp.route("/people/<code>/triage", methods=["POST"])
@requires("medical:write")
@blp.arguments(TriageSchema())
@blp.response(201, TriageSchema())
def triage(data, code):
    """Triage (or re-triage) a person: category, conditions, mobility, referral, note."""
    return medical.record_triage(get_db(), valid_code(code), data, actor())


@blp.route("/people/<code>/triage", methods=["GET"])
@requires("medical:read")
@blp.response(200, TriageHistorySchema())
def triage_history(code):
    """Return a person's triage history, newest first; the first is the current state."""
    person = records.get_person(get_db(), valid_code(code))
    log_view("triage", person["id"])
    entries = medical.history(get_db(), person["id"])
    current = entries[0] if entries else None
    return {"person_code": person["code"], "current": current, "history": entries}


@blp.route("/medical/queue", methods=["GET"])
@requires("medical:read")
@blp.arguments(QueueArgsSchema(), location="query")
@blp.response(200, QueueSchema())
def queue(args):
    """List flagged people still at the station: most urgent first, then longest waiting."""
    people = medical.queue(get_db(), args["status"], args["category"])
    return {"status": args["status"], "count": len(people), "people": people}


@blp.route("/households/<code>/movements", methods=["POST"])
@requires("movements:write")
@blp.arguments(MovementSchema())
@blp.response(201, MovementResultSchema())
def move_household(data, code):
    """Record that a household left, was transferred, or came back."""
    return movements.move_household(get_db(), valid_code(code), data, actor())


@blp.route("/people/<code>/movements", methods=["POST"])
@requires("movements:write")
@blp.arguments(MovementSchema())
@blp.response(201, MovementResultSchema())
def move_person(data, code):
    """Record that one person left, was transferred to hospital, or came back."""
    return movements.move_person(get_db(), valid_code(code), data, actor())


@blp.route("/households/<code>/movements", methods=["GET"])
@requires("household:read")
@blp.response(200, MovementSchema(many=True))
def household_movements(code):
    """Return a household's movements, newest first."""
    household = records.get_household(get_db(), valid_code(code))
    return movements.history(get_db(), household["id"])


@blp.route("/people/<code>/movements", methods=["GET"])
@requires("person:read")
@blp.response(200, MovementSchema(many=True))
def person_movements(code):
    """Return a person's movements, newest first."""
    db = get_db()
    person = records.get_person(db, valid_code(code))
    household = records.get_household(db, person["household_code"])
    return movements.history(db, household["id"], person["id"])


@blp.route("/people/<code>/tags", methods=["POST"])
@requires("household:update")
@blp.arguments(TagBindSchema())
@blp.response(201, ScanResultSchema())
def bind_tag(data, code):
    """Bind a pre-printed tag to a registered person (a replacement wristband)."""
    tag = scan.bind_replacement(get_db(), valid_code(code), data["tag_code"], actor())
    return scan_answer(scan.record_for(get_db(), tag))


@scan_blp.route("/scan", methods=["POST"])
@requires("search")
@scan_blp.doc(requestBody=IMAGE_BODY)
@scan_blp.response(200, ScanResultSchema())
def scan_photo():
    """Decode the tag in a photo (kept in memory, never stored); answer its record."""
    upload = request.files.get("image")
    if upload is None:
        raise DomainError("Send the photo as the multipart field 'image'.", {"image": ["Missing."]})
    data = upload.read()
    upload.close()
    db = get_db()
    found = scan.record_for(db, scan.code_in_photo(data))
    if found["record"]:
        tbl = "households" if found["kind"] == "household" else "people"
        log_view(tbl, found["record"]["id"])
    return scan_answer(found)


def scan_answer(found: dict) -> dict:
    """Add the page address of the record a code names."""
    if found["kind"] not in ("household", "person"):
        return {**found, "url": None}
    household = found["kind"] == "household"
    endpoint = "register.household" if household else "register.person"
    record = (HouseholdSchema() if household else PersonSchema()).dump(found["record"])
    return {**found, "record": record, "url": url_for(endpoint, code=found["record_code"])}
