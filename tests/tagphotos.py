"""Make photos of QR tags the way a phone sees them: rotated, small, blurred, on clutter."""

from __future__ import annotations

import io
import random

import qrcode
from PIL import Image, ImageDraw, ImageFilter


def tag_image(text: str, box: int = 10) -> Image.Image:
    """Draw a printed QR tag (with its quiet zone) as a greyscale image."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4, box_size=box)
    qr.add_data(text)
    qr.make(fit=True)
    return qr.make_image().convert("L")


def noisy_background(size: tuple[int, int], seed: int = 7) -> Image.Image:
    """A cluttered scene: random shapes and speckle, like a tent or a sleeve."""
    rng = random.Random(seed)
    scene = Image.effect_noise(size, 60).convert("RGB")
    draw = ImageDraw.Draw(scene)
    for _ in range(120):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        w, h = rng.randrange(10, size[0] // 5), rng.randrange(10, size[1] // 5)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.rectangle([x, y, x + w, y + h], fill=colour)
    return scene


def photo(
    text: str,
    size: tuple[int, int] = (2000, 1500),
    tag_px: int = 360,
    angle: float = 0,
    blur: float = 0,
    noise: bool = True,
    fmt: str = "JPEG",
) -> bytes:
    """Return the bytes of a photo holding one tag of ``tag_px`` pixels, as a camera makes."""
    scene = noisy_background(size) if noise else Image.new("RGB", size, "white")
    tag = tag_image(text).resize((tag_px, tag_px), Image.Resampling.LANCZOS)
    tag = tag.convert("RGBA").rotate(angle, expand=True, fillcolor=(255, 255, 255, 0))
    scene.paste(tag, ((size[0] - tag.width) // 3, (size[1] - tag.height) // 2), tag)
    if blur:
        scene = scene.filter(ImageFilter.GaussianBlur(blur))
    buffer = io.BytesIO()
    scene.save(buffer, format=fmt, quality=85)
    return buffer.getvalue()
