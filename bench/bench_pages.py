"""Registration page in Chromium at 4x CPU throttling: first load, offline reload, bytes.

Starts a real station (`python -m fieldreg serve`) on a temporary data folder, signs a
registrar in, and measures with Debian's Chromium driven by Playwright (no download):
- first load: /register in a fresh profile (empty HTTP cache, no service worker), signed in;
- offline reload: the same page reloaded with the network off, served by the service worker;
- bytes: the page and everything it loads, uncompressed (decodedBodySize).
Targets: each load <= 1 s, bytes <= 60 KB.

    python -m bench.bench_pages [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# A throw-away encrypted station under a known passphrase (as bench/common.py).
os.environ.setdefault("FIELDREG_PASSPHRASE", "benchmark data only")

import httpx

from tests.browser_fixtures import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
PIN = "2468"
TIMING = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource').filter(r => r.initiatorType !== 'fetch');
  return {load: nav.loadEventEnd, dcl: nav.domContentLoadedEventEnd, ttfb: nav.responseStart,
          bytes: nav.decodedBodySize + res.reduce((n, r) => n + r.decodedBodySize, 0),
          files: 1 + res.length};
}"""
READY = """async () => navigator.serviceWorker.controller !== null
  && !!(await caches.match('/register'))"""


def start_station(data: Path) -> tuple[subprocess.Popen, str]:
    """Start a station with a registrar; return the process and its URL."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    base = [sys.executable, "-m", "fieldreg", "--data", str(data)]
    subprocess.run(
        [*base, "users", "add", "reg", "--role", "registrar", "--pin", PIN],
        check=True,
        env=env,
        cwd=ROOT,
        capture_output=True,
    )
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [*base, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("station did not start")


def measure(browser, url: str, state: dict) -> dict:
    """Load /register cold, then reload it offline; return both timings and the bytes."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, storage_state=state)
    page = context.new_page()
    context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": 4})
    page.goto(url + "/register")
    first = page.evaluate(TIMING)
    for _ in range(300):  # wait_for_function does not await an async predicate: poll
        if page.evaluate(READY):
            break
        time.sleep(0.05)
    context.set_offline(True)
    page.reload()
    offline = page.evaluate(TIMING)
    context.close()
    return {
        "first_ms": first["load"],
        "first_ttfb_ms": first["ttfb"],
        "first_dcl_ms": first["dcl"],
        "offline_ms": offline["load"],
        "bytes": first["bytes"],
        "files": first["files"],
    }


def main(argv: list[str] | None = None) -> dict:
    """Run the measurement and print the medians."""
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args(argv).runs
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_station(Path(tmp) / "data")
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                login = browser.new_context()
                page = login.new_page()
                page.goto(url + "/login")
                page.fill("[name=username]", "reg")
                page.fill("[name=pin]", PIN)
                page.click("button[type=submit]")
                page.wait_for_url("**/register")
                state = login.storage_state()
                results = [measure(browser, url, state) for _ in range(runs)]
                browser.close()
        finally:
            proc.terminate()
            proc.wait(10)
    summary = {key: statistics.median(r[key] for r in results) for key in results[0]}
    summary["max_first_ms"] = max(r["first_ms"] for r in results)
    summary["max_offline_ms"] = max(r["offline_ms"] for r in results)
    print(f"register page, Chromium, 4x CPU throttling, {runs} runs (median / max):")
    print(f"  first load     {summary['first_ms']:.0f} ms / {summary['max_first_ms']:.0f} ms")
    print(
        f"  (first load: server answered at {summary['first_ttfb_ms']:.0f} ms, "
        f"DOMContentLoaded {summary['first_dcl_ms']:.0f} ms)"
    )
    print(f"  offline reload {summary['offline_ms']:.0f} ms / {summary['max_offline_ms']:.0f} ms")
    print(
        f"  bytes          {summary['bytes'] / 1024:.1f} KB in {summary['files']:.0f} files "
        "(uncompressed)"
    )
    return summary


if __name__ == "__main__":
    main()
