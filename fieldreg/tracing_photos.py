"""A case's photo: the one thing that identifies a child too young to say its name.

Resized and re-encoded (which drops its metadata: where, when and on which phone it was
taken), kept in the encrypted database only, never as a file; one per case (a new one
replaces it). Shown only to caseworkers, coordinators and admins, every view audited; it
leaves the station only by sync (encrypted) and in a PFIF file for a tracing partner when the
case has consent.
"""

from __future__ import annotations

import base64
import io
import uuid
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlite_utils import Database

from fieldreg import audit, tags, tracing
from fieldreg.db import insert_row, update_row, write
from fieldreg.db import rows as db_rows
from fieldreg.errors import DomainError
from fieldreg.scan import MAX_PIXELS
from sync import changelog

SIDE = 640  # pixels: enough to recognise a face on a tablet, ~50 KB
QUALITY = 80
NAMESPACE = uuid.UUID("0b5e8f7e-2d1c-4c7a-9a0e-3f7f6a1d2c4b")


def _jpeg(data: bytes) -> bytes:
    """Return a picture as a small JPEG without metadata, or refuse what is not one."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise DomainError("The picture is too large.", {"image": ["Too many pixels."]})
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((SIDE, SIDE))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:  # fmt: skip
        raise DomainError("This is not a picture.", {"image": ["Not an image file."]}) from exc
    out = io.BytesIO()
    image.save(out, "JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()


def photo_id(case_id: str) -> str:
    """Return the id of a case's photo (one per case, the same at every site)."""
    return str(uuid.uuid5(NAMESPACE, case_id))


def set_photo(db: Database, case_id: str, data: bytes, viewer: tracing.Viewer) -> None:
    """Keep a photo for a case (replacing the one it had)."""
    jpeg = base64.b64encode(_jpeg(data)).decode()
    with write(db):
        tracing.refuse_foreign(db, tracing.visible_row(db, case_id, viewer))
        pid, stamp = photo_id(case_id), tags.now()
        row = {"case_id": case_id, "mime": "image/jpeg", "data": jpeg,
               "created_by": viewer.username, "updated_at": stamp, "deleted": 0}  # fmt: skip
        if db_rows(db, "select 1 from tracing_photos where id = ?", [pid]):
            update_row(db, "tracing_photos", pid, row)
        else:
            insert_row(db, "tracing_photos", {**row, "id": pid, "created_at": stamp})
            row["created_at"] = stamp
        changelog.record(db, "tracing_photos", pid, "upsert", row)
        audit.log(db, viewer.username, "tracing_photo", "tracing_cases", case_id)


def photo(db: Database, case_id: str, actor: str | None) -> bytes | None:
    """Return a case's photo (JPEG), auditing that it was seen; None when it has none."""
    found = db_rows(db, "select data from tracing_photos where case_id = ? and deleted = 0",
                    [case_id])  # fmt: skip
    if not found:
        return None
    audit.log_read(db, actor, "tracing_cases", case_id, "photo")
    return base64.b64decode(found[0]["data"])


def photo_for_partner(db: Database, case_id: str) -> str | None:
    """Return a case's photo as a data URL, for a PFIF file to a partner (consent checked
    by the caller)."""
    found = db_rows(db, "select data from tracing_photos where case_id = ? and deleted = 0",
                    [case_id])  # fmt: skip
    return f"data:image/jpeg;base64,{found[0]['data']}" if found else None
