"""What differs between a Windows and a Linux laptop, in one place.

Everything else in FieldReg is portable Python (pathlib, sockets, sqlite3). The few things the
operating systems do differently live here, each with one answer per system:

    file locks       Windows: msvcrt.locking        elsewhere: fcntl.flock
    LAN addresses    Linux: each interface (ioctl)  Windows: the host name's addresses
    a free port      Windows: SO_EXCLUSIVEADDRUSE   elsewhere: SO_REUSEADDR (as the server)
    the browser      webbrowser (Windows: the default browser; Linux: $BROWSER, xdg-open)
    disk space       shutil.disk_usage on the nearest folder that exists
    fsync            Windows: a file opened for writing, folders not   elsewhere: both

No other module imports ``fcntl`` or ``msvcrt``.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import threading
import time
import urllib.request
import webbrowser
from pathlib import Path

WINDOWS = os.name == "nt"
LINUX = sys.platform.startswith("linux")
# Windows locks are mandatory: a locked byte cannot be read by anyone else. The lock is taken
# on a byte far past the end of the lock file, so that the holder's pid stays readable.
_LOCK_OFFSET = 1 << 30

if WINDOWS:  # pragma: no cover - exercised on Windows laptops only
    import msvcrt

    def try_lock(fd: int) -> bool:
        """Take an exclusive lock on an open file without waiting; tell whether it was taken."""
        where = os.lseek(fd, 0, os.SEEK_CUR)
        try:
            os.lseek(fd, _LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
        finally:
            os.lseek(fd, where, os.SEEK_SET)

else:
    import fcntl

    def try_lock(fd: int) -> bool:
        """Take an exclusive lock on an open file without waiting; tell whether it was taken."""
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            return False


def fsync_file(path: Path) -> None:
    """Flush a closed file's contents to the disk."""
    # Windows flushes only through a handle opened for writing (FlushFileBuffers).
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0) if WINDOWS else os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_folder(folder: Path) -> None:
    """Make a rename in the folder durable (Windows cannot open folders, nor needs to)."""
    if not WINDOWS:
        fsync_file(folder)


def interface_addresses() -> list[str]:
    """List this machine's IPv4 addresses, loopback included (nothing is sent)."""
    if LINUX:  # the interfaces themselves: /etc/hosts may name an address no longer there
        return sorted(set(_by_interface()))
    try:  # on Windows the host name resolves to every connected adapter's address
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return []
    return sorted({info[4][0] for info in infos})


def _by_interface() -> list[str]:
    """Read the IPv4 address of each network interface (Linux's SIOCGIFADDR)."""
    import struct

    found = []
    try:
        names = socket.if_nameindex()
    except OSError:
        return []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _index, name in names:
            try:
                request = struct.pack("256s", name[:15].encode())
                packed = fcntl.ioctl(sock.fileno(), 0x8915, request)  # SIOCGIFADDR
                found.append(socket.inet_ntoa(packed[20:24]))
            except OSError:
                continue
    return found


def lan_addresses() -> list[str]:
    """List the addresses tablets on the local network could use (no loopback)."""
    return [ip for ip in interface_addresses() if not ip.startswith("127.")]


def listen_error(host: str, port: int) -> OSError | None:
    """Try to listen on host:port the way the server will; return the refusal, if any."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        if WINDOWS:  # pragma: no cover - Windows lets a second socket share a port otherwise
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        else:  # as waitress does: a port left in TIME_WAIT by a stopped station is free
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
            sock.listen(1)
        except OSError as exc:
            return exc
    return None


def existing_parent(path: Path) -> Path:
    """Return the path itself if it exists, else its nearest folder that does."""
    path = Path(path).resolve()
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(path.anchor)


def disk_space(path: Path) -> tuple[int, int]:
    """Return (free, total) bytes of the disk holding ``path`` (or where it would be made)."""
    usage = shutil.disk_usage(existing_parent(path))
    return usage.free, usage.total


def open_browser(url: str) -> bool:
    """Open the laptop's own browser at ``url``; tell whether one was found."""
    saved = _system_library_path()
    try:
        return webbrowser.open(url)
    except webbrowser.Error:
        return False
    finally:
        _restore_library_path(saved)


def open_browser_when_up(url: str, health: str, timeout: float = 120.0) -> threading.Thread:
    """Open the browser at ``url`` once ``health`` answers, in the background."""

    def wait_then_open() -> None:
        """Poll the health address, then open the browser (never at an error page)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(health, timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            return
        open_browser(url)

    thread = threading.Thread(target=wait_then_open, name="open-browser", daemon=True)
    thread.start()
    return thread


def _system_library_path() -> str | None:
    """Give the browser the system's libraries, not the one-click folder's (Linux, frozen)."""
    # PyInstaller's Linux launcher points LD_LIBRARY_PATH at its own folder and keeps the
    # original in LD_LIBRARY_PATH_ORIG; a browser started with its libraries may not start.
    if WINDOWS or not getattr(sys, "frozen", False):
        return None
    saved = os.environ.get("LD_LIBRARY_PATH")
    original = os.environ.get("LD_LIBRARY_PATH_ORIG")
    if original:
        os.environ["LD_LIBRARY_PATH"] = original
    else:
        os.environ.pop("LD_LIBRARY_PATH", None)
    return saved


def _restore_library_path(saved: str | None) -> None:
    """Put back the one-click folder's library path after starting the browser."""
    if saved is not None:
        os.environ["LD_LIBRARY_PATH"] = saved
