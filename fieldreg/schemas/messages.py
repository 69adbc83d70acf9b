"""The words the record schemas refuse with, in the reader's language.

Marshmallow's own messages ("Not a valid integer.", "Missing data for required field.") are
English only. Each field of a record names its own, translated lazily (when the message is
shown, in that request's language), so the form, the JSON API's ``fields`` and the tablet's
own checks (``fieldreg.formrules``) say the same words. Placeholders are marshmallow's
(``{max}``, ``{min}``): keep them in translations.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import fields, validate

REQUIRED = _l("Required.")
TOO_LONG = _l("At most {max} characters.")
NOT_LISTED = _l("Choose from the list.")
WHOLE_YEARS = _l("Type the age in whole years, digits only.")
AGE_RANGE = _l("An age is between {min} and {max} years.")
DATE = _l("Write the date as year-month-day, e.g. 2016-05-04.")
BIRTH_RANGE = _l("A date of birth is between 1900 and today.")
PHONE = _l("A phone number has digits, spaces and + only.")
MEMBERS = _l("A household has 1 to {max} members.")
NOT_A_CODE = _l("Not a valid code: a character is mistyped or two are swapped.")
UNKNOWN_TAG = _l("This tag was not printed at this station.")
TAG_IN_USE = _l("This tag or code is already used by someone else.")
CODE_NOT_ISSUED = _l("This code was not given to this tablet.")
BOARDING_CLOSED = _l("This vehicle's boarding is closed: ask a coordinator.")
ARRIVALS_CLOSED = _l("This vehicle's arrivals are closed: ask a coordinator.")


def text(max_length: int, **kwargs) -> fields.String:
    """Return an optional text field of at most ``max_length`` characters."""
    return fields.String(
        allow_none=True, validate=validate.Length(max=max_length, error=TOO_LONG), **kwargs
    )


def choice(values: tuple[str, ...], **kwargs) -> fields.String:
    """Return a field that takes one value of a list."""
    return fields.String(validate=validate.OneOf(values, error=NOT_LISTED), **kwargs)


def required_text(max_length: int) -> fields.String:
    """Return a required text field of 1 to ``max_length`` characters."""
    return fields.String(
        required=True,
        validate=validate.Length(min=1, max=max_length, error=TOO_LONG),
        error_messages={"required": REQUIRED},
    )
