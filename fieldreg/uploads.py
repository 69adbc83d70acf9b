"""Uploads stay in memory and are bounded: a tag photo is decoded, then dropped.

Werkzeug spools uploads above 500 KB to a temporary file; a photo of a person's wristband
must never touch the disk, so every upload is held in memory instead (the size limit,
MAX_CONTENT_LENGTH or the larger photo limit below, bounds that memory).

The web server reads a whole body before the app sees it, so ``server_limits`` gives it the
same bound (the largest any endpoint accepts): a larger Content-Length is refused before a
byte of the body is read, and a body is buffered in memory, never spooled to a file.
"""

from __future__ import annotations

import io
import sys
from typing import IO

import flask

# Tag photos (decoded, dropped), tracing photos (kept, resized) and partners' PFIF files.
PHOTO_ENDPOINTS = {"scan_api.scan_photo", "scanning.photo", "tracing_api.put_photo",
                   "tracing.photo_upload", "tracing.new", "tracing_api.import_pfif",
                   "tracing_exchange.upload"}  # fmt: skip
PHOTO_MAX_BYTES = 16 * 1024 * 1024  # a 12-megapixel phone JPEG is 3-8 MB


def largest_body(config) -> int:
    """Return the largest body any endpoint of the app accepts, in bytes."""
    return max(int(config.get("MAX_CONTENT_LENGTH") or 0), PHOTO_MAX_BYTES)


def server_limits(config) -> dict[str, int]:
    """Return waitress settings: refuse bodies the app would refuse, never spool to disk."""
    largest = largest_body(config)
    return {
        # waitress refuses a Content-Length >= this one: the app's largest still passes.
        "max_request_body_size": largest + 1,
        # Buffers above these sizes go to temporary files (in clear): never, then. Memory
        # stays bounded: bodies by the limit above (times connection_limit, 100), answers by
        # outbuf_high_watermark (the app waits while a slow client reads).
        "inbuf_overflow": largest + 2,
        "outbuf_overflow": sys.maxsize,
    }


class Request(flask.Request):
    """Flask's request, with uploads in memory and a larger limit for tag photos."""

    @property
    def max_content_length(self) -> int | None:
        """Allow a phone photo on the scan endpoints, the app's limit elsewhere."""
        if self._max_content_length is None and self.endpoint in PHOTO_ENDPOINTS:
            return PHOTO_MAX_BYTES
        return flask.Request.max_content_length.fget(self)

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    def _get_file_stream(self, *_args, **_kwargs) -> IO[bytes]:
        """Keep an uploaded file in memory, never in a temporary file."""
        return io.BytesIO()
