"""JSON API for tablets: code blocks for offline registration, and the outbox delivery."""

from __future__ import annotations

import uuid

from flask import current_app
from flask_babel import gettext as _
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from fieldreg import audit, devices, forms, records
from fieldreg.access import requires
from fieldreg.api import Blueprint, actor
from fieldreg.db import get_db, setting
from fieldreg.errors import DomainError
from fieldreg.schemas.devices import BlockArgsSchema, BlockSchema, OpenedSchema, OutboxSchema
from fieldreg.schemas.records import HouseholdSchema

blp = Blueprint("devices", __name__, url_prefix="/api/v1", description="Tablets working offline")


@blp.route("/devices/codes", methods=["POST"])
@requires("household:create")
@blp.arguments(BlockArgsSchema())
@blp.response(201, BlockSchema())
def device_codes(args):
    """Give a tablet (new or known) a fresh block of codes for offline registrations."""
    device_id = str(args["device_id"] or uuid.uuid4())
    db = get_db()
    issued = devices.issue_block(db, device_id, args["count"], actor())
    key = devices.station_key(current_app.config["DATA"])
    return {
        "device_id": device_id,
        "station": setting(db, "station_code"),
        "codes": issued,
        "station_key": devices.public_key_b64(key),
    }


@blp.route("/outbox", methods=["POST"])
@requires("household:create")
@blp.arguments(OutboxSchema())
@blp.response(201, HouseholdSchema())
def deliver(envelope):
    """Accept a registration queued on a tablet; the same client_id again is the same one.

    A refusal names the fields at fault by the form's input names (``m2-age_years``), in the
    page's language: the tablet puts them back beside the fields of the record it reopens.
    """
    envelope["client_id"] = str(envelope["client_id"])
    data, blocks = _form_record(_pairs(envelope), envelope["client_id"])
    try:
        loaded = HouseholdSchema().load(data)
        household, created = records.create_household(get_db(), loaded, actor())
    except ValidationError as exc:
        fields = forms.errors_for_form(exc.messages, blocks)
        raise DomainError(_("Some fields are not valid."), fields) from exc
    except DomainError as exc:
        exc.fields = forms.errors_for_form(exc.fields, blocks) if exc.fields else {}
        if exc.fields:  # the tablet shows the message too: the fields' words are translated
            said = (str(m) for messages in exc.fields.values() for m in messages)
            exc.message = " ".join(dict.fromkeys(said))
        raise
    return household, (201 if created else 200)


@blp.route("/outbox/open", methods=["POST"])
@requires("household:create")
@blp.arguments(OutboxSchema())
@blp.response(200, OpenedSchema())
def open_record(envelope):
    """Give a tablet back what it sealed, to correct a record the station refused."""
    envelope["client_id"] = str(envelope["client_id"])
    audit.log_read(get_db(), actor(), "outbox", envelope["client_id"])
    return {"client_id": envelope["client_id"], "fields_": _pairs(envelope)}


def _pairs(envelope: dict) -> list:
    """Return a queued record's name/value pairs, opening it if sealed."""
    if "ct" in envelope:
        inner = devices.open_sealed(devices.station_key(current_app.config["DATA"]), envelope)
        return inner.get("fields")
    return envelope.get("fields_")


def _form_record(pairs, client_id: str) -> tuple[dict, list[int]]:
    """Read a queued form (name/value pairs) into HouseholdSchema's shape, with device codes."""
    if not isinstance(pairs, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(x, str) for x in p) for p in pairs
    ):
        raise DomainError("A queued record holds name/value pairs.", {"fields": ["Malformed."]})
    form = MultiDict(pairs)
    if form.get("client_id", client_id) != client_id:
        raise DomainError("The sealed record belongs to another client_id.", {"client_id": ["?"]})
    data, blocks = forms.household_from_form(form)
    data["client_id"] = client_id
    if form.get("device_id"):
        data["device_id"] = form["device_id"]
    if form.get("household_device_code"):
        data["device_code"] = form["household_device_code"]
    for member, block in zip(data["members"], blocks, strict=True):
        pre = forms.prefix(block)
        if form.get(pre + "device_code"):
            member["device_code"] = form[pre + "device_code"]
        if form.get(pre + "person_id"):
            member["id"] = form[pre + "person_id"]
    return data, blocks
