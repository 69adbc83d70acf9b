"""Time reading a tag from a 3-megapixel phone photo (target: p95 <= 300 ms).

Photos are made here like tests/tagphotos.py does: a QR wristband tag pasted on a cluttered,
noisy scene at a random angle and size, some blurred, saved as JPEG (quality 85) like a phone
camera. Each timing covers what the server does per upload: open the JPEG, decode to grey,
find and read the QR, check the code. Run: ``python -m bench.bench_scan [N]``.
"""

from __future__ import annotations

import random
import statistics
import sys
import time

from bench.common import machine, percentile
from fieldreg import codes, scan
from tests.tagphotos import photo

SIZE = (2048, 1536)  # 3.1 megapixels


def make_photos(n: int, seed: int = 4) -> list[tuple[str, bytes]]:
    """Make ``n`` varied 3-megapixel photos of tags, with the codes they hold."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        code = codes.make_code("BEN", rng.randrange(1, codes.MAX_SEQ))
        data = photo(
            code,
            size=SIZE,
            tag_px=rng.choice((140, 200, 300, 450)),
            angle=rng.uniform(-45, 45) if i % 4 else 0,
            blur=rng.choice((0, 0, 1.0, 2.0)),
        )
        out.append((code, data))
    return out


def main(argv: list[str] | None = None) -> dict:
    """Decode the photos, print and return the timings."""
    argv = sys.argv[1:] if argv is None else argv
    n = int(argv[0]) if argv else 60
    photos = make_photos(n)
    scan.code_in_photo(photos[0][1])  # warm up the libraries
    times, misses = [], 0
    for code, data in photos:
        start = time.perf_counter()
        try:
            found = scan.code_in_photo(data)
        except scan.DomainError:
            found = None
        times.append((time.perf_counter() - start) * 1000)
        misses += found != code
    result = {
        "photos": n,
        "megapixels": round(SIZE[0] * SIZE[1] / 1e6, 1),
        "mean_kb": round(statistics.mean(len(d) for _c, d in photos) / 1024),
        "read": n - misses,
        "p50_ms": round(percentile(times, 50)),
        "p95_ms": round(percentile(times, 95)),
        "max_ms": round(max(times)),
        "machine": machine(),
    }
    print(" ".join(f"{k}={v}" for k, v in result.items()))
    return result


if __name__ == "__main__":
    main()
