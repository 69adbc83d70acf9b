"""Domain errors: what went wrong, in words a registrar can act on. The web layer maps them."""

from __future__ import annotations


class DomainError(Exception):
    """A request that cannot be carried out; nothing was changed."""

    status = 400

    def __init__(self, message: str, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(DomainError):
    """No record has that code or id."""

    status = 404


class InvalidCode(DomainError):
    """The text is not a valid code (a typo the check character caught)."""

    status = 400


class Conflict(DomainError):
    """The request contradicts what is stored (e.g. a client id re-sent with other content)."""

    status = 409


class Forbidden(DomainError):
    """The user's role does not allow this."""

    status = 403
