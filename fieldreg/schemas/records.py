"""Marshmallow schemas: the one description of each record, for forms, API, exports and sync."""

from __future__ import annotations

import datetime as dt

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates_schema,
)

from fieldreg.schemas import messages as M

SEXES = ("female", "male", "unknown")
RELATIONSHIPS = (
    "head",
    "spouse",
    "child",
    "parent",
    "sibling",
    "grandchild",
    "grandparent",
    "other_relative",
    "unrelated",
)
TRANSPORTS = ("bus", "ambulance", "private_car", "pickup", "on_foot", "other")
DESTINATION_KINDS = ("camp", "host_family", "hospital", "unknown")
VULNERABILITIES = (
    "unaccompanied_child",
    "separated_child",
    "older_person_alone",
    "pregnant_lactating",
    "disability",
    "female_headed_household",
    "serious_medical_condition",
)
MAX_MEMBERS = 40
NAME_MAX = 100
NAME = validate.Length(max=NAME_MAX, error=M.TOO_LONG)
SHORT = validate.Length(max=200, error=M.TOO_LONG)
AGE_MAX = 120
BIRTH_EARLIEST = dt.date(1900, 1, 1)
# Besides digits, what a phone number may hold (+963 933-123 456, (0933) 123.456).
PHONE_CHARS = "+-() ./"


def _text(**kwargs) -> fields.String:
    """Return an optional, length-limited text field."""
    return fields.String(allow_none=True, validate=kwargs.pop("validate", SHORT), **kwargs)


class StrippedSchema(Schema):
    """Strip surrounding white space from every string and treat empty strings as missing."""

    @pre_load
    def strip_strings(self, data, **_kwargs):
        """Trim strings so that '  ' is the same as nothing."""
        if not isinstance(data, dict):
            return data
        out = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip()
                if value == "":
                    continue
            out[key] = value
        return out


class PersonSchema(StrippedSchema):
    """A person: a member of a household."""

    id = fields.UUID(load_default=None)
    code = fields.String(dump_only=True)
    household_code = fields.String(dump_only=True)
    tag_code = fields.String(load_only=True, validate=validate.Length(max=20, error=M.TOO_LONG))
    device_code = fields.String(load_only=True, validate=validate.Length(max=20))
    given_name = M.required_text(NAME_MAX)
    father_name = _text(validate=NAME)
    mother_name = _text(validate=NAME)
    family_name = _text(validate=NAME)
    sex = M.choice(SEXES, load_default="unknown")
    age_years = fields.Integer(
        allow_none=True,
        strict=False,
        validate=validate.Range(0, AGE_MAX, error=M.AGE_RANGE),
        error_messages={"invalid": M.WHOLE_YEARS},
    )
    age_estimated = fields.Boolean(load_default=False)
    # Year-month-day only (not ISO week or ordinal dates): what the form and tablet read.
    date_of_birth = fields.Date(
        format="%Y-%m-%d", allow_none=True, error_messages={"invalid": M.DATE}
    )
    relationship = M.choice(RELATIONSHIPS, allow_none=True)
    vulnerabilities = fields.List(
        M.choice(VULNERABILITIES),
        load_default=list,
        validate=validate.Length(max=len(VULNERABILITIES)),
    )
    status = fields.String(dump_only=True)
    # The current triage category only (its colour), never the conditions: for every role.
    medical_flag = fields.String(dump_only=True, allow_none=True)
    created_at = fields.String(dump_only=True)
    updated_at = fields.String(dump_only=True)

    @validates_schema(skip_on_field_errors=False)
    def check_birth(self, data, **_kwargs):
        """Refuse a date of birth in the future or before 1900."""
        dob = data.get("date_of_birth")
        if dob and not BIRTH_EARLIEST <= dob <= dt.date.today():
            raise ValidationError(str(M.BIRTH_RANGE), "date_of_birth")


class ArrivalSchema(StrippedSchema):
    """How and when a household arrived."""

    at = fields.DateTime(allow_none=True)
    transport = M.choice(TRANSPORTS, allow_none=True)
    vehicle_ref = _text(validate=validate.Length(max=60, error=M.TOO_LONG))
    # The convoy vehicle the household came on (fieldreg/convoys.py): it counts as arrived on it.
    vehicle_id = fields.UUID(allow_none=True)


class OriginSchema(StrippedSchema):
    """Where a household comes from."""

    district = _text(validate=NAME)
    neighbourhood = _text(validate=NAME)


class DestinationSchema(StrippedSchema):
    """Where a household intends to go."""

    kind = M.choice(DESTINATION_KINDS, load_default="unknown")
    name = _text(validate=NAME)
    place = _text(validate=NAME)


class HouseholdSchema(StrippedSchema):
    """A household and its members, as registered on arrival."""

    id = fields.UUID(dump_only=True)
    code = fields.String(dump_only=True)
    client_id = fields.UUID(allow_none=True)
    tag_code = fields.String(load_only=True, validate=validate.Length(max=20, error=M.TOO_LONG))
    device_id = fields.UUID(load_only=True)
    device_code = fields.String(load_only=True, validate=validate.Length(max=20))
    station = fields.String(dump_only=True)
    members = fields.List(
        fields.Nested(PersonSchema),
        required=True,
        validate=validate.Length(min=1, max=MAX_MEMBERS, error=M.MEMBERS),
        error_messages={"required": M.REQUIRED},
    )
    arrival = fields.Nested(ArrivalSchema, load_default=dict)
    origin = fields.Nested(OriginSchema, load_default=dict)
    destination = fields.Nested(DestinationSchema, load_default=dict)
    phone = _text(validate=validate.Length(max=40, error=M.TOO_LONG))
    vulnerabilities = fields.List(
        M.choice(VULNERABILITIES),
        load_default=list,
        validate=validate.Length(max=len(VULNERABILITIES)),
    )
    consent_share = fields.Boolean(load_default=False)
    notes = _text(validate=validate.Length(max=2000, error=M.TOO_LONG))
    status = fields.String(dump_only=True)
    created_at = fields.String(dump_only=True)
    updated_at = fields.String(dump_only=True)

    @pre_load
    def accept_plain_places(self, data, **_kwargs):
        """Take ``"origin": "Aleppo"`` as the district and a plain destination as its name."""
        if isinstance(data, dict):
            if isinstance(data.get("origin"), str):
                data = {**data, "origin": {"district": data["origin"]}}
            if isinstance(data.get("destination"), str):
                data = {**data, "destination": {"name": data["destination"]}}
        return data

    @validates_schema(skip_on_field_errors=False)
    def check_phone(self, data, **_kwargs):
        """Refuse a phone number with letters in it."""
        phone = data.get("phone")
        if phone and not all(ch.isdecimal() or ch in PHONE_CHARS for ch in phone):
            raise ValidationError(str(M.PHONE), "phone")


class HouseholdUpdateSchema(HouseholdSchema):
    """The household fields that can be corrected after registration (not its members)."""

    class Meta:
        exclude = ("members", "client_id", "tag_code", "device_id", "device_code")


class PersonUpdateSchema(PersonSchema):
    """The person fields that can be corrected."""

    class Meta:
        exclude = ("id", "tag_code", "device_code")


class SearchArgsSchema(Schema):
    """Query string of a search."""

    class Meta:
        unknown = EXCLUDE

    q = fields.String(required=True, validate=validate.Length(min=1, max=200))
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100))


class MatchArgsSchema(Schema):
    """The person being typed, to look for possible duplicates."""

    class Meta:
        unknown = EXCLUDE

    given_name = fields.String(validate=NAME)
    father_name = fields.String(validate=NAME)
    mother_name = fields.String(validate=NAME)
    family_name = fields.String(validate=NAME)
    age_years = fields.Integer(validate=validate.Range(0, 120))


class SearchHitSchema(Schema):
    """One search result: a person and the household they belong to."""

    kind = fields.String()
    code = fields.String()
    household_code = fields.String()
    name = fields.String()
    sex = fields.String()
    age_years = fields.Integer(allow_none=True)
    status = fields.String(metadata={"description": "present, departed or transferred"})
    score = fields.Float()
    medical_flag = fields.String(allow_none=True)
    agreed = fields.List(fields.String())


class SearchResultSchema(Schema):
    """The answer to a search."""

    query = fields.String()
    results = fields.List(fields.Nested(SearchHitSchema))


class MatchResultSchema(Schema):
    """Possible matches of a person being registered."""

    results = fields.List(fields.Nested(SearchHitSchema))


class StatsSchema(Schema):
    """Station figures (HQ adds raw/unique totals and per-station rows)."""

    station = fields.String(allow_none=True)
    station_name = fields.String()
    since = fields.String(allow_none=True)
    until = fields.String(allow_none=True)
    generated_at = fields.String()
    households = fields.Integer()
    people = fields.Integer()
    present = fields.Integer()
    departed = fields.Integer()
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    departed_by_destination = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_sex = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_age_group = fields.Dict(keys=fields.String(), values=fields.Dict())
    by_transport = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_destination = fields.Dict(keys=fields.String(), values=fields.Integer())
    vulnerabilities = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "flags of each vulnerability, on people and households"},
    )
    person_vulnerabilities = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "people flagged with each vulnerability on their own record"},
    )
    household_vulnerabilities = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "households flagged with each vulnerability (their needs)"},
    )
    arrivals_per_hour = fields.List(fields.Dict())
    triage = fields.Dict(allow_none=True)
    # Separated and unaccompanied children (family tracing); None where none was registered.
    tracing = fields.Dict(allow_none=True)
    presence = fields.Dict(keys=fields.String(), values=fields.Integer())
    departures_by_destination = fields.Dict(keys=fields.String(), values=fields.Integer())
    raw = fields.Dict()
    unique = fields.Dict(allow_none=True)
    unique_people = fields.Integer(allow_none=True)
    unique_households = fields.Integer(allow_none=True)
    unique_people_low = fields.Integer(
        allow_none=True, metadata={"description": "unique people if every undecided pair is one"}
    )
    unique_people_high = fields.Integer(
        allow_none=True, metadata={"description": "unique people if no undecided pair is one"}
    )
    undecided_pairs = fields.Integer(
        allow_none=True, metadata={"description": "possible duplicates waiting for review"}
    )
    stations = fields.List(fields.Dict())
    review_queue = fields.Dict(allow_none=True)
    convoys = fields.Dict(allow_none=True)
    unique_figures = fields.Dict(
        allow_none=True,
        metadata={
            "description": "HQ, after deduplication: wounded by triage category (the most "
            "urgent latest triage of each person) and vulnerabilities counted in unique "
            "people (clusters; children alone: tracing.unique_registered); None until "
            "deduplication has run"
        },
    )


class ErrorSchema(Schema):
    """Every API error: a message and, for invalid input, the fields at fault."""

    error = fields.String()
    fields_ = fields.Dict(data_key="fields")
