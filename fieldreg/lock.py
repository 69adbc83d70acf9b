"""One server per data folder: an OS-level lock on ``server.lock`` that dies with its process.

The operating system drops the lock when the process ends, however it ends (SIGKILL, power
cut), so a crash never leaves a stale lock behind. The file also holds the holder's pid so
the refusal can say who is in the way.
"""

from __future__ import annotations

import os
from pathlib import Path

from fieldreg.portable import try_lock

LOCK_NAME = "server.lock"


class FolderInUse(RuntimeError):
    """Another process holds the data folder."""


class DataLock:
    """Hold the data folder for this process until ``release()`` or exit."""

    def __init__(self, data_dir: str | Path, purpose: str = "server"):
        self.path = Path(data_dir) / LOCK_NAME
        self.purpose = purpose
        self.fd: int | None = None

    def acquire(self) -> DataLock:
        """Take the lock, or raise FolderInUse saying who holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if not try_lock(fd):
            holder = self._holder(fd)
            os.close(fd)
            raise FolderInUse(
                f"The data folder {self.path.parent} is in use by another FieldReg {holder}. "
                "Stop it first, or give this one its own folder with --data."
            )
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()} {self.purpose}\n".encode())
        self.fd = fd
        return self

    def _holder(self, fd: int) -> str:
        """Describe the holder from what it wrote into the lock file."""
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            pid, _, purpose = os.read(fd, 100).decode().strip().partition(" ")
        except (OSError, UnicodeDecodeError):
            return "process"
        return f"{purpose or 'process'} (pid {pid})" if pid else "process"

    def release(self) -> None:
        """Let the folder go (closing the file releases the OS lock)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> DataLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def is_locked(data_dir: str | Path) -> bool:
    """Tell whether some process holds the data folder right now."""
    try:
        with DataLock(data_dir, "probe"):
            return False
    except FolderInUse:
        return True
