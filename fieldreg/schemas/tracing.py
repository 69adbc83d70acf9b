"""Schemas of family tracing: a case (a child alone, or an enquiry), notes, candidates, matches,
decisions and figures."""

from __future__ import annotations

import datetime as dt

from marshmallow import ValidationError, fields, validate, validates_schema

from fieldreg.schemas.records import NAME, SEXES, StrippedSchema

KINDS = ("child", "enquiry")
SEPARATIONS = ("unaccompanied", "separated")
# The enquirer is the sought person's ...
ENQUIRER_IS = ("father", "mother", "sibling", "grandparent", "other_relative", "spouse",
               "child", "other")  # fmt: skip
STATUSES = ("open", "closed")
OUTCOMES = ("reunified", "family_traced", "closed")
VERDICTS = ("confirm", "reject")
CONFIRMED_AS = ("reunified", "verification_visit")
LONG = validate.Length(max=1000)
SHORT = validate.Length(max=200)
MAX_SIBLINGS = 12


def _text(length=SHORT, **kwargs) -> fields.String:
    """Return an optional, length-limited text field."""
    return fields.String(allow_none=True, validate=length, **kwargs)


def _not_future(day: dt.date) -> None:
    """Refuse a date after today (a separation has happened already)."""
    if day > dt.date.today():
        raise ValidationError("This date is in the future.")


class TracingCaseFieldsSchema(StrippedSchema):
    """What a case holds: the names given, the family, where and when, the carer, consent."""

    separation = fields.String(allow_none=True, validate=validate.OneOf(SEPARATIONS))
    given_name = _text(NAME)
    father_name = _text(NAME)
    mother_name = _text(NAME)
    family_name = _text(NAME)
    siblings = fields.List(fields.String(validate=NAME), validate=validate.Length(max=MAX_SIBLINGS))
    sex = fields.String(allow_none=True, validate=validate.OneOf(SEXES))
    age_years = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=120))
    date_of_birth = fields.Date(allow_none=True, validate=_not_future)
    origin = _text()
    separated_place = _text()
    separated_on = fields.Date(allow_none=True, validate=_not_future)
    brought_by = _text(LONG)
    description = _text(LONG)
    carer = _text(LONG)
    relationship = fields.String(allow_none=True, validate=validate.OneOf(ENQUIRER_IS))
    enquirer_name = _text(NAME)
    enquirer_contact = _text()
    consent_share = fields.Boolean()
    consent_by = _text()
    assent = fields.Boolean()


class TracingCaseSchema(TracingCaseFieldsSchema):
    """A new case: a child alone (``person_code`` is the child) or an enquiry (the enquirer)."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    person_code = fields.String(allow_none=True, validate=validate.Length(max=20))

    @validates_schema
    def check_kind(self, data, **_kwargs):
        """A child's case names the child; an enquiry says whom it looks for and who asks."""
        if data["kind"] == "child" and not data.get("person_code"):
            raise ValidationError("The child's code is needed.", "person_code")
        if data["kind"] == "enquiry":
            if not data.get("given_name") and not data.get("family_name"):
                raise ValidationError("Give at least a name of the person sought.", "given_name")
            if not data.get("person_code") and not data.get("enquirer_name"):
                raise ValidationError("Name who is asking (or give their code).", "enquirer_name")


class TracingNoteSchema(StrippedSchema):
    """Something added to a case: what the child said later, a call, a visit."""

    text = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class TracingNoteViewSchema(TracingNoteSchema):
    """A stored note."""

    id = fields.String()
    actor = fields.String(allow_none=True)
    station = fields.String(allow_none=True)
    at = fields.String()
    # The station that sent the note (proven by its credential; None: written here). The
    # actor and station above are that station's word.
    sent_by = fields.String(allow_none=True)


class TracingDecisionViewSchema(StrippedSchema):
    """A decision on one of a case's pairs, with the station that sent it (None: here)."""

    id = fields.String()
    match_id = fields.String()
    case_id = fields.String()
    target_id = fields.String()
    verdict = fields.String()
    outcome = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    actor = fields.String(allow_none=True)
    at = fields.String()
    sent_by = fields.String(allow_none=True)


class TracingCaseViewSchema(TracingCaseFieldsSchema):
    """A case as shown (a registrar who opened it sees what they entered only)."""

    id = fields.String()
    kind = fields.String()
    status = fields.String()
    outcome = fields.String(allow_none=True)
    station = fields.String()
    person_code = fields.String(allow_none=True)
    household_code = fields.String(allow_none=True)
    has_photo = fields.Boolean()
    notes = fields.List(fields.Nested(TracingNoteViewSchema))
    created_by = fields.String(allow_none=True)
    created_at = fields.String()
    updated_at = fields.String()
    matched_at = fields.String(allow_none=True)
    reunified_at = fields.String(allow_none=True)
    closed_at = fields.String(allow_none=True)
    # For a registrar: child protection added to the case (what is not shown, issue 19).
    others_added = fields.Boolean()
    # Child protection only: the decisions on the case's pairs (a registrar gets none).
    decisions = fields.List(fields.Nested(TracingDecisionViewSchema))


class TracingCaseListArgsSchema(StrippedSchema):
    """Which cases to list."""

    status = fields.String(load_default="open", validate=validate.OneOf((*STATUSES, "all")))
    kind = fields.String(allow_none=True, validate=validate.OneOf(KINDS))
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=2000))


class TracingCaseListSchema(StrippedSchema):
    """A list of cases."""

    cases = fields.List(fields.Nested(TracingCaseViewSchema))


class TracingReasonSchema(StrippedSchema):
    """One comparison behind a candidate."""

    field = fields.String()
    against = fields.String()
    level = fields.String()
    weight = fields.Float()
    person_code = fields.String(allow_none=True)


class TracingCandidateSchema(StrippedSchema):
    """A possible relative of a case, with the reasons, field by field."""

    match_id = fields.String()
    kind = fields.String()
    target_id = fields.String()
    target_code = fields.String(allow_none=True)
    person_code = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    station = fields.String(allow_none=True)
    score = fields.Float()
    label = fields.String()
    status = fields.String()
    reasons = fields.List(fields.Nested(TracingReasonSchema))


class TracingCandidateListSchema(StrippedSchema):
    """A case's ranked candidates, strongest first."""

    case_id = fields.String()
    candidates = fields.List(fields.Nested(TracingCandidateSchema))


class TracingMatchSchema(TracingCandidateSchema):
    """A proposal waiting for a caseworker (or decided)."""

    case_id = fields.String()
    case_kind = fields.String()
    case_name = fields.String(allow_none=True)
    stations = fields.String(allow_none=True)
    found_at = fields.String()


class TracingMatchListSchema(StrippedSchema):
    """Proposals, the newest and likeliest first."""

    matches = fields.List(fields.Nested(TracingMatchSchema))


class TracingDecisionSchema(StrippedSchema):
    """A caseworker's verdict on a candidate: confirm (reunified, or a visit to verify) or not."""

    case_id = fields.String(required=True, validate=validate.Length(max=64))
    target_id = fields.String(required=True, validate=validate.Length(max=64))
    verdict = fields.String(required=True, validate=validate.OneOf(VERDICTS))
    outcome = fields.String(load_default="reunified", validate=validate.OneOf(CONFIRMED_AS))
    note = _text(LONG)


class TracingDecisionResultSchema(TracingDecisionSchema):
    """A stored decision."""

    id = fields.String()
    match_id = fields.String()
    actor = fields.String(allow_none=True)
    at = fields.String()


class TracingCloseSchema(StrippedSchema):
    """Close a case without a match (the child turned 18, the enquiry was withdrawn...)."""

    note = _text(LONG)


class TracingFiguresSchema(StrippedSchema):
    """Separated and unaccompanied children: registered, open, matched, reunified, and time."""

    registered = fields.Dict(keys=fields.String(), values=fields.Integer())
    open = fields.Dict(keys=fields.String(), values=fields.Integer())
    matched = fields.Dict(keys=fields.String(), values=fields.Integer())
    reunified = fields.Dict(keys=fields.String(), values=fields.Integer())
    median_days_to_reunification = fields.Float(allow_none=True)
    enquiries_open = fields.Integer()
    matches_waiting = fields.Integer()


class TracingPfifImportSchema(StrippedSchema):
    """What an import of a partner's PFIF file did."""

    imported = fields.Integer()
    updated = fields.Integer()
    skipped = fields.Integer()
