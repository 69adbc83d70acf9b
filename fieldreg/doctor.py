"""`fieldreg doctor`: check the laptop before a shift, and say what is wrong in plain words.

The person at the keyboard is a logistician, not a developer. Each check looks at the real
thing (it binds the port, writes a file in the data folder, reads the disk and the network
interfaces, compares clocks) and returns a Finding: fine or a problem, in a sentence that says
what to do. Nothing here needs the passphrase or opens the database.

    folder   can this user write in the data folder (or where it will be made)?
    disk     is there room for the records and their backups?
    port     can the station listen on its port, or is FieldReg / another program there?
    network  does the laptop have an address the tablets can reach?
    clock    is the clock plausible: not behind the newest file in the data folder, not
             before this release, and within 5 minutes of --reference if one is given?
"""

from __future__ import annotations

import errno
import os
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from fieldreg import portable
from fieldreg.lock import LOCK_NAME, is_locked

MIN_FREE = 1024**3  # the database, its WAL and 24 backups of a large station fit in this
CLOCK_TOLERANCE = timedelta(minutes=5)
EARLIEST = datetime(2026, 1, 1, tzinfo=UTC)  # this release was made after it
PROBE = ".fieldreg-doctor-probe"
CLOCK_FIX = (
    " Set the right date, time and time zone (arrival times, reports, backups and the HTTPS"
    " certificate depend on it), then run doctor again."
)


@dataclass
class Finding:
    """One check's verdict: its name, whether all is well, and what to tell the person."""

    name: str
    ok: bool
    message: str


def check_folder(data: Path) -> Finding:
    """Check that this user can write in the data folder (or where it will be created)."""
    if data.exists() and not data.is_dir():
        return Finding("folder", False, f"{data} is a file, not a folder: choose another --data.")
    target = data if data.exists() else portable.existing_parent(data)
    probe = target / PROBE
    try:
        with open(probe, "wb") as handle:
            handle.write(b"probe")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        return Finding("folder", False, _unwritable(data, exc))
    finally:
        _remove(probe)
    if target == data:
        return Finding("folder", True, f"The data folder {data} can be written to.")
    return Finding("folder", True, f"The data folder {data} will be created; {target} is writable.")


def _unwritable(data: Path, exc: OSError) -> str:
    """Explain why the data folder cannot be written to."""
    start = f"FieldReg cannot save anything in the data folder {data}: "
    if exc.errno == errno.EROFS:
        why = "it is on a read-only disk (a write-protected USB stick or memory card?)."
    elif exc.errno in (errno.EACCES, errno.EPERM):
        why = "this user is not allowed to write there."
    elif exc.errno == errno.ENOSPC:
        why = "the disk is full."
    elif exc.errno in (errno.ENOENT, errno.ENODEV, errno.EIO):
        why = "the disk is not there (was a USB stick removed?)."
    else:
        why = f"{exc.strerror or exc}."
    return start + why + " Use a folder of your own, e.g. in Documents, with --data."


def _remove(path: Path) -> None:
    """Delete the probe file if it was made."""
    try:
        path.unlink()
    except OSError:
        pass


def check_disk(data: Path, min_free: int = MIN_FREE) -> Finding:
    """Check that the disk holding the data folder has room for records and backups."""
    free, total = portable.disk_space(data)
    if free < min_free:
        return Finding(
            "disk",
            False,
            f"The disk holding {data} is nearly full: {_size(free)} free of {_size(total)}. "
            f"The station needs at least {_size(min_free)} for its records and backups; on a "
            "full disk registrations are refused. Delete or move other files, empty the "
            "recycle bin, or put the data folder on another disk with --data.",
        )
    return Finding("disk", True, f"{_size(free)} free on the disk holding the data folder.")


def _size(count: int) -> str:
    """Write a number of bytes the way a file manager does."""
    for unit, step in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if count >= step:
            return f"{count / step:.1f} {unit}"
    return f"{count} bytes"


def check_port(data: Path, host: str, port: int) -> Finding:
    """Check that the station can listen on its port."""
    refusal = portable.listen_error(host, port)
    if refusal is None:
        return Finding("port", True, f"Port {port} is free: the station can start there.")
    if running(data):
        return Finding(
            "port",
            False,
            f"FieldReg is already running with the data folder {data}: open "
            f"http://127.0.0.1:{port} in the browser instead of starting it a second time.",
        )
    if refusal.errno == errno.EADDRNOTAVAIL:
        return Finding("port", False, f"{host} is not an address of this laptop: check --host.")
    if refusal.errno in (errno.EACCES, errno.EPERM) and port < 1024:
        return Finding("port", False, f"Port {port} needs administrator rights: use 8000.")
    return Finding(
        "port",
        False,
        f"Port {port} is already taken by another program, so the station cannot start there. "
        "Close that program (another FieldReg window, a web server), or start the station on "
        f"another port, e.g. --port {port + 80}, and give the tablets that port.",
    )


def running(data: Path) -> bool:
    """Tell whether a FieldReg server holds this data folder now."""
    return (data / LOCK_NAME).exists() and is_locked(data)


def check_network(host: str, port: int) -> Finding:
    """Check that the laptop has an address the tablets can reach."""
    if host.startswith("127.") or host in ("localhost", "::1"):
        return Finding(
            "network",
            False,
            f"The station would listen only on this laptop (--host {host}): tablets cannot "
            "reach it. Leave --host out to serve the tablets.",
        )
    addresses = portable.lan_addresses()
    usable = [ip for ip in addresses if not ip.startswith("169.254.")]
    if usable:
        links = ", ".join(f"http://{ip}:{port}" for ip in usable)
        return Finding("network", True, f"Tablets on the same Wi-Fi can open {links}.")
    if addresses:
        return Finding(
            "network",
            False,
            "The laptop is on a network that gave it no address (169.254.…): the Wi-Fi router "
            "or hotspot is not handing out addresses. Restart the router, then run doctor again.",
        )
    return Finding(
        "network",
        False,
        "No network for the tablets: this laptop is not connected to any Wi-Fi or cable "
        "network. Connect it to the station's Wi-Fi router (or switch on its mobile hotspot), "
        f"then run doctor again. On this laptop alone the station works at "
        f"http://127.0.0.1:{port}.",
    )


def check_clock(data: Path, reference: datetime | None = None, now=None) -> Finding:
    """Check the clock against --reference, this release, and the data folder's newest file."""
    now = now or datetime.now(UTC)
    if reference is not None:
        return _against_reference(now, reference)
    if now < EARLIEST:
        return Finding(
            "clock",
            False,
            f"The laptop's clock says {_local(now)}, before this version of FieldReg was made: "
            "it is wrong (a flat clock battery?)." + CLOCK_FIX,
        )
    newest = newest_write(data)
    if newest is not None and newest - now > CLOCK_TOLERANCE:
        return Finding(
            "clock",
            False,
            f"The laptop's clock is behind by at least {_span(newest - now)}: it says "
            f"{_local(now)}, but a file in the data folder was written at {_local(newest)}."
            + CLOCK_FIX,
        )
    return Finding(
        "clock",
        True,
        f"The clock says {_local(now)}, not behind the data folder's newest file. To compare "
        "it with a phone's time: fieldreg doctor --reference 'YYYY-MM-DD HH:MM'.",
    )


def _against_reference(now: datetime, reference: datetime) -> Finding:
    """Compare the clock with the right time a person read elsewhere (naive: local time)."""
    gap = now - reference.astimezone(UTC)
    if abs(gap) <= CLOCK_TOLERANCE:
        return Finding("clock", True, f"The clock ({_local(now)}) agrees with the reference.")
    way = "ahead of" if gap > timedelta(0) else "behind"
    return Finding(
        "clock",
        False,
        f"The laptop's clock is {_span(abs(gap))} {way} the reference time: it says "
        f"{_local(now)}, the reference says {_local(reference)}." + CLOCK_FIX,
    )


def newest_write(data: Path) -> datetime | None:
    """Return when the newest file in the data folder or its subfolders was last written."""
    if not data.is_dir():
        return None
    stamps = []
    for folder in (data, *[p for p in data.iterdir() if p.is_dir()]):
        for path in folder.iterdir():
            try:
                if path.is_file():
                    stamps.append(path.stat().st_mtime)
            except OSError:  # removed meanwhile (a backup rotated out)
                continue
    return datetime.fromtimestamp(max(stamps), UTC) if stamps else None


def _local(moment: datetime) -> str:
    """Show a time in the laptop's time zone, to the minute."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def _span(gap: timedelta) -> str:
    """Say how long a gap is, in days, hours and minutes."""
    minutes = int(gap.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    words = [f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in parts if n]
    return " ".join(words[:2]) or "less than a minute"


def run(data: Path, host: str, port: int, reference: datetime | None = None) -> list[Finding]:
    """Run every check, in the order a person would fix them."""
    return [
        check_folder(data),
        check_disk(data),
        check_port(data, host, port),
        check_network(host, port),
        check_clock(data, reference),
    ]


def report(findings: list[Finding], only_problems: bool = False) -> None:
    """Print the findings, problems first in capitals so that they stand out."""
    for finding in findings:
        if finding.ok and only_problems:
            continue
        label = f"  {'ok' if finding.ok else 'PROBLEM':8} "
        # Paths and addresses stay whole on one line, however long.
        lines = textwrap.wrap(
            finding.message,
            100,
            initial_indent=label,
            subsequent_indent=" " * len(label),
            break_long_words=False,
            break_on_hyphens=False,
        )
        click.echo("\n".join(lines))


@click.command()
@click.option("--host", default="0.0.0.0", show_default=True, help="Address serve will use.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port serve will use.")
@click.option(
    "--reference",
    type=click.DateTime(["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S%z"]),
    help="The right time now (from a phone or a radio), in local time: 'YYYY-MM-DD HH:MM'.",
)
@click.pass_obj
def doctor(obj, host: str, port: int, reference: datetime | None) -> None:
    """Check this laptop for a station: folder, disk, port, network, clock."""
    click.echo(f"Checking this laptop for a FieldReg station on port {port}, data in {obj.data}")
    findings = run(obj.data, host, port, reference)
    report(findings)
    problems = sum(not finding.ok for finding in findings)
    if problems:
        click.echo(f"{problems} problem(s): fix them, then run `fieldreg doctor` again.")
        raise SystemExit(1)
    click.echo("Everything is ready for the station.")
