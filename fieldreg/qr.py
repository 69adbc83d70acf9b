"""QR tags: the image of a code. A tag carries the code and nothing else."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from sqlite_utils import Database


def is_issued(db: Database, code: str) -> bool:
    """Tell whether this station issued the code (bound or pre-printed)."""
    return bool(list(db.query("select 1 from codes where code = ?", [code])))


def render(code: str, fmt: str) -> tuple[bytes, str]:
    """Draw the QR of ``code`` as SVG or PNG; return the bytes and their MIME type."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, box_size=8)
    qr.add_data(code)
    qr.make(fit=True)
    buffer = io.BytesIO()
    if fmt == "svg":
        qr.make_image(image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
        return buffer.getvalue(), "image/svg+xml"
    qr.make_image().save(buffer, format="PNG")
    return buffer.getvalue(), "image/png"
