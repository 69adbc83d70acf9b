"""Domain errors: what went wrong, in words a registrar can act on. The web layer maps them.

Every error carries a stable machine-readable ``code`` beside its message: clients (the
tablets' outbox, other agencies' tools) branch on the code, never on the English words,
which are translated and may change. ``CODES`` is the whole list; docs/errors.md documents
it and a test holds the two together.
"""

from __future__ import annotations

CODES = {
    # generic, by HTTP status when nothing more precise is known
    "bad_request": "The request is malformed.",
    "invalid_json": "The body is not valid JSON.",
    "invalid_fields": "Some fields are not valid; `fields` says which and why.",
    "invalid_code": "The text is not a valid code (the check character caught a typo).",
    "login_required": "No valid login, API token or station credential was sent.",
    "forbidden": "The role (or station) is not allowed to do this.",
    "not_found": "No such record, code or page.",
    "method_not_allowed": "The path does not take this method.",
    "conflict": "The request contradicts what is stored.",
    "too_large": "The body is larger than the station accepts.",
    "unsupported_media_type": "The body's content type is not accepted here.",
    "too_many_requests": "Too many attempts: wait and try again.",
    "refused": "The request cannot be carried out; nothing was changed.",
    "internal_error": "An unexpected error; it was logged and nothing is shown.",
    # the station's state
    "locked": "The station is locked: the passphrase must be typed on the laptop.",
    "disk_full": "The station's disk is full or failing: nothing was saved.",
    "busy": "The station is busy: nothing was saved; try again.",
    "csrf_expired": "The form expired or came from elsewhere: reload the page and retry.",
    # records
    "client_id_reused": "This client_id was already used for different content.",
    "duplicate_id": "A record with this id already exists.",
    "already_left": "The person (or everyone in the household) has already left.",
    "already_present": "The person (or everyone in the household) is at the station.",
    "codes_exhausted": "The station has used all its codes.",
    "tag_in_use": "The tag or code is already bound to a record.",
    "code_not_issued": "The code was not issued to this device.",
    "conflict_resolved": "This sync conflict was already resolved.",
    # sync
    "batch_refused": "The sync batch or bundle was refused; nothing was applied.",
    "not_joined": "This station has not joined an HQ.",
    "not_owner": "The record (or fact) belongs to another station: only it and HQ may edit or "
    "erase it; nothing was applied.",
    "clock_ahead": "Changes are stamped too far ahead of HQ's clock: set the station's clock "
    "right; nothing was applied.",
    "seq_reused": "Changes reuse numbers HQ holds for other changes (a station restored from a "
    "backup): hear from HQ first, then send again; nothing was applied.",
    # convoys, imported lists, signed counts
    "vehicle_closed": "The vehicle's boarding or arrivals are closed: a coordinator changes it.",
    "already_scanned": "This tag (everyone it names) is already scanned on this vehicle.",
    "not_a_table": "The file is not a table FieldReg reads (CSV or XLSX with a header row).",
    "unknown_encoding": "The file's text is in an encoding FieldReg does not read.",
    "formula_cell": "The file holds formula cells: save it with values only and import again.",
    "bad_signature": "The signed statement was altered, or its signature does not match its key.",
    # limits
    "quota_exceeded": "A quota is used up (codes for tablets): see Retry-After, if any.",
    "household_full": "The household already has the most members a household may have.",
    # family tracing
    "case_closed": "The tracing case is closed: it takes no more changes or matches.",
    "other_station": "The record belongs to another station: it is changed there or at HQ.",
    "pfif_invalid": "The file is not PFIF 1.2-1.4 XML (or declares a DOCTYPE): nothing imported.",
}


class DomainError(Exception):
    """A request that cannot be carried out; nothing was changed."""

    status = 400
    default_code = "refused"
    retry_after: int | None = None  # seconds, sent as Retry-After (a 503 or 429)

    def __init__(self, message: str, fields: dict | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code is None:
            # Only a plain refusal becomes "invalid_fields": a subclass keeps its own code.
            plain = self.default_code == DomainError.default_code
            code = "invalid_fields" if self.fields and plain else self.default_code
        if code not in CODES:
            raise ValueError(f"unknown error code {code!r}: add it to errors.CODES")
        self.code = code


class NotFound(DomainError):
    """No record has that code or id."""

    status = 404
    default_code = "not_found"


class InvalidCode(DomainError):
    """The text is not a valid code (a typo the check character caught)."""

    status = 400
    default_code = "invalid_code"


class Conflict(DomainError):
    """The request contradicts what is stored (e.g. a client id re-sent with other content)."""

    status = 409
    default_code = "conflict"


class Forbidden(DomainError):
    """The user's role does not allow this."""

    status = 403
    default_code = "forbidden"


class Refused(DomainError):
    """A request the web layer refuses with a given status and code (e.g. an expired form)."""

    def __init__(self, status: int, message: str, code: str, fields: dict | None = None):
        self.status = status
        super().__init__(message, fields, code)
