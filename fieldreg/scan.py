"""Read a tag from a photo, in memory (the picture is decoded and dropped, never stored);
tell which record a code names; bind a pre-printed tag to a registered person later.

A phone photo is big (3-12 megapixels) while a wristband's QR is a small part of it.
zxing-cpp finds it at full resolution in most photos; a blurred or noisy one often reads
better shrunk (the blur shrinks with it), so a second, smaller pass follows a miss.

Decoding is the costliest thing the station does for one request, so it is bounded: a
picture's size is read from its header and one above 16 megapixels (any phone's photo fits)
is refused before a pixel is decoded; only the formats a phone or tablet sends are opened;
and at most ``MAX_DECODES`` photos are decoded at once. Another waits up to
``DECODE_WAIT_SECONDS``, then is answered 503 with Retry-After: eight huge photos cannot take
every core from the registration desk.
"""

from __future__ import annotations

import io
import threading
import warnings

import zxingcpp
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlite_utils import Database

from fieldreg import audit, codes, records, tags
from fieldreg.db import write
from fieldreg.errors import DomainError, InvalidCode, NotFound

MAX_PIXELS = 16_777_216  # 2**24: a 16-megapixel phone photo (4656 x 3496) fits
OPENED = ("JPEG", "PNG", "WEBP", "GIF", "BMP")  # what cameras and screenshots give
MAX_DECODES = 2  # the station laptop has 2 cores; registrations need the rest
DECODE_WAIT_SECONDS = 3.0
RETRY_AFTER_SECONDS = 5
_DECODES = threading.BoundedSemaphore(MAX_DECODES)
SMALL_SIDE = 1200
FORMATS = (zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.DataMatrix)


class NotAnImage(DomainError):
    """The upload is not a picture Pillow can read."""

    status = 400


class ImageTooLarge(DomainError):
    """The picture has too many pixels to decode safely."""

    status = 413
    default_code = "too_large"


class ScannerBusy(DomainError):
    """Other photos are being decoded; this one was not: try again in a moment."""

    status = 503
    default_code = "busy"
    retry_after = RETRY_AFTER_SECONDS


class NoTagFound(InvalidCode):
    """No barcode could be read in the picture."""


class NotOurCode(InvalidCode):
    """The picture holds a barcode, but not a FieldReg code."""


def open_image(data: bytes) -> Image.Image:
    """Open an uploaded picture as greyscale, refusing non-images and decompression bombs."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=OPENED)  # reads the header only
            if image.width * image.height > MAX_PIXELS:
                raise ImageTooLarge(
                    "The picture is too large.", {"image": ["At most 16 megapixels."]}
                )
            if image.format == "JPEG":
                image.draft("L", (image.width, image.height))
            image = ImageOps.exif_transpose(image.convert("L"))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise NotAnImage("This is not a picture.", {"image": ["Not an image file."]}) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge("The picture is too large.", {"image": ["Too many pixels."]}) from exc
    return image


def read_texts(image: Image.Image) -> list[str]:
    """Return the texts of the barcodes found, trying full size first, then shrunk."""
    found = _read(image)
    if not found and max(image.size) > SMALL_SIDE:
        small = image.copy()
        small.thumbnail((SMALL_SIDE, SMALL_SIDE), Image.Resampling.BOX)
        found = _read(small)
    return found


def _read(image: Image.Image) -> list[str]:
    # Printed tags are dark on light: skipping the inverted pass makes a read 4x faster.
    return [b.text for b in zxingcpp.read_barcodes(image, formats=FORMATS, try_invert=False)]


def code_in_photo(data: bytes) -> str:
    """Return the FieldReg code on the tag in a photo, or raise a 4xx (503 if busy) error."""
    if not _DECODES.acquire(timeout=DECODE_WAIT_SECONDS):
        raise ScannerBusy("The station is reading other photos: try again in a moment.")
    try:
        texts = read_texts(open_image(data))
    finally:
        _DECODES.release()
    if not texts:
        raise NoTagFound(
            "No tag found in the picture.",
            {"image": ["No QR code found: hold the tag flat, fill the frame, and retry."]},
        )
    for text in texts:
        code = codes.parse(text)
        if code:
            return code
    raise NotOurCode(
        "The picture holds a barcode, but not a FieldReg code.",
        {"image": ["Not a FieldReg code."]},
    )


def record_for(db: Database, text: str) -> dict:
    """Return what a scanned or typed code names: its kind, the record's code and the record."""
    code, kind, record_id = tags.lookup(db, text)
    if kind is None:
        raise NotFound("This code was never issued here.", {"code": ["Unknown code."]})
    if kind == "free" or record_id is None:
        return {"code": code, "kind": "free", "record_code": None, "record": None}
    # A replacement tag names the record by id; the record keeps its own first code.
    table = "households" if kind == "household" else "people"
    rows = list(db.query(f"select code from {table} where id = ? and deleted = 0", [record_id]))
    if not rows:
        raise NotFound("The record of this code was removed.", {"code": ["Removed."]})
    own = rows[0]["code"]
    record = records.get_household(db, own) if kind == "household" else records.get_person(db, own)
    return {"code": code, "kind": kind, "record_code": own, "record": record}


def bind_replacement(db: Database, person_code: str, tag_text: str, actor: str | None) -> str:
    """Bind a fresh pre-printed tag to a registered person (a replacement wristband)."""
    with write(db):
        person = records.get_person(db, person_code)
        code = tags.bind_preprinted(db, tag_text, "person", person["id"])
        audit.log(db, actor, "bind_tag", "people", person["id"], code)
    return code
