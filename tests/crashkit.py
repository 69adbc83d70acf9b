"""Crash harness: real servers killed with SIGKILL at random moments while clients write.

    clients (threads) ──HTTP──> server process ──> data folder
          │ acked: what was answered 2xx                ▲
          │ pending: sent, answer lost (retried)        │ SIGKILL at a random moment,
          ▼                                             │ restart, again and again
    workload.verify(db): every acked write present exactly once, integrity ok, ...

A workload says what the clients do and what must hold: ``setup(data)``, ``worker(url,
stop, rng)`` (runs in several threads until ``stop`` is set), ``after_kill(db)`` (checks
at every restart), ``settle(url)`` (resend what never got an answer), ``verify(db)`` and
``figures()``; the checks return lists of problems. The station's registrations are
``Registrations`` below; an HQ applying sync batches is ``HqSync`` in
tests/test_crash_hq.py, with the same methods and ``role = "hq"``, run by the same
``run_crash``.

Each start is a fresh process running the real ``serve`` command, forked from a process
that did the imports once (see ForkServer).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx

from fieldreg.db import connect
from tests.conftest import ROOT, free_port

# The zygote imports everything once, then forks one real `serve` process per start:
# a restart then costs what the server's own start-up costs, not Python's imports.
ZYGOTE = """
import os, sys, tempfile
from fieldreg.cli import cli
from fieldreg import create_app, serving, backup
create_app({'DATA': tempfile.mkdtemp()})  # every lazy import done once, here
args = ['--data', sys.argv[1], 'serve', '--role', sys.argv[2], '--host', '127.0.0.1',
        '--port', sys.argv[3]]
for line in sys.stdin:
    word, _, arg = line.strip().partition(' ')
    if word == 'fork':
        pid = os.fork()
        if pid == 0:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            try:
                cli(args)
            except SystemExit as exc:
                os._exit(exc.code if isinstance(exc.code, int) else 1)
            os._exit(0)
    else:
        pid = os.waitpid(int(arg), 0)[1]
    print(pid, flush=True)
"""


class ForkServer:
    """The real `serve` command, each start a fresh process forked from a warm zygote."""

    def __init__(self, data: Path, role: str = "station", log: Path | None = None):
        self.data, self.role, self.port = data, role, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log or data.parent / "server.log", "ab")  # noqa: SIM115
        cmd = [sys.executable, "-c", ZYGOTE, str(data), role, str(self.port)]
        self.zygote = subprocess.Popen(
            cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log
        )
        self.pid: int | None = None

    def _ask(self, line: str) -> int:
        self.zygote.stdin.write(line.encode() + b"\n")
        self.zygote.stdin.flush()
        return int(self.zygote.stdout.readline())

    def start(self, timeout: float = 30) -> float:
        """Fork a server and wait until it answers; return the seconds that took."""
        began = time.monotonic()
        self.pid = self._ask("fork")
        with httpx.Client(timeout=1) as http:
            while time.monotonic() - began < timeout:
                try:
                    if http.get(self.url + "/healthz").status_code == 200:
                        return time.monotonic() - began
                except httpx.HTTPError:
                    time.sleep(0.01)
        raise RuntimeError(f"server did not start, see {self.log.name}")

    def kill(self, sig: int = signal.SIGKILL) -> int | None:
        """Signal the server, wait until it is gone; return its wait status."""
        if self.pid is None:
            return None
        os.kill(self.pid, sig)
        status, self.pid = self._ask(f"wait {self.pid}"), None
        return status

    def close(self) -> None:
        """Stop the server cleanly, then the zygote."""
        self.kill(signal.SIGTERM)
        self.zygote.stdin.close()
        self.zygote.wait(30)
        self.log.close()


def run_crash(
    workload,
    data: Path,
    kills: int,
    clients: int = 4,
    seed: int = 1,
    uptime: tuple[float, float] = (0.1, 0.6),
) -> dict:
    """Run ``workload`` against a server killed ``kills`` times; return figures and problems."""
    rng = random.Random(seed)
    workload.setup(data)
    server = ForkServer(data, getattr(workload, "role", "station"))
    stop = threading.Event()
    threads = [
        threading.Thread(target=workload.worker, args=(server.url, stop, random.Random(seed + i)))
        for i in range(clients)
    ]
    starts, problems = [], []
    try:
        starts.append(server.start())
        for thread in threads:
            thread.start()
        for _ in range(kills):
            time.sleep(rng.uniform(*uptime))
            server.kill()
            problems += _checked(workload.after_kill, data)
            starts.append(server.start())
        stop.set()
        for thread in threads:
            thread.join(60)
        workload.settle(server.url)
    finally:
        stop.set()
        server.close()
    problems += _checked(workload.verify, data)
    return {"kills": kills, "starts": starts, "problems": problems, **workload.figures()}


def _checked(check, data: Path) -> list[str]:
    db = connect(data / "fieldreg.db")
    try:
        return check(db)
    finally:
        db.close()


class Registrations:
    """Tablets registering households with client ids, resending whatever got no answer."""

    role = "station"

    def __init__(self):
        self.lock = threading.Lock()
        self.acked: dict[str, tuple[str, list[str]]] = {}  # client_id -> (code, member codes)
        self.pending: set[str] = set()
        self.problems: list[str] = []
        self.sent = self.lost = 0
        self.last_seq = 0
        self.headers: dict = {}

    def setup(self, data: Path) -> None:
        """Give the clients an API token."""
        from fieldreg import auth
        from fieldreg.db import prepare

        db = connect(prepare(data))
        self.headers = {"Authorization": "Bearer " + auth.create_token(db, "crash", "registrar")}
        db.close()

    def send(self, http: httpx.Client, client_id: str) -> bool:
        """Send one registration; return whether it was answered."""
        from tests.conftest import household_body

        with self.lock:
            self.sent += 1
        try:
            answer = http.post("/api/v1/households", json=household_body(client_id=client_id))
        except httpx.HTTPError:
            with self.lock:
                self.pending.add(client_id)
                self.lost += 1
            return False
        self._answered(client_id, answer)
        return True

    def _answered(self, client_id: str, answer: httpx.Response) -> None:
        with self.lock:
            self.pending.discard(client_id)
            if answer.status_code not in (200, 201):
                self.problems.append(f"{client_id}: {answer.status_code} {answer.text[:200]}")
                return
            body = answer.json()
            got = (body["code"], [m["code"] for m in body["members"]])
            if self.acked.setdefault(client_id, got) != got:
                self.problems.append(f"{client_id} answered {got}, earlier {self.acked[client_id]}")

    def worker(self, url: str, stop: threading.Event, rng: random.Random) -> None:
        """Register until stopped, resending the same client id until it is answered."""
        client_id = None
        with httpx.Client(base_url=url, headers=self.headers, timeout=5) as http:
            while not stop.is_set():
                client_id = client_id or str(uuid.UUID(int=rng.getrandbits(128), version=4))
                if self.send(http, client_id):
                    client_id = None
                else:
                    time.sleep(0.05)  # the server is down: wait a little, like a tablet would

    def settle(self, url: str) -> None:
        """Resend every registration that never got an answer, until each has one."""
        with httpx.Client(base_url=url, headers=self.headers, timeout=10) as http:
            for client_id in sorted(self.pending):
                for _ in range(5):
                    if self.send(http, client_id):
                        break

    def after_kill(self, db) -> list[str]:
        """The code counter never goes backwards, and the database is sound at every restart."""
        seq = self._code_seq(db)
        problems = [] if seq >= self.last_seq else [f"code_seq went back {self.last_seq}->{seq}"]
        self.last_seq = seq
        check = db.execute("pragma quick_check").fetchone()[0]
        return problems + ([] if check == "ok" else [f"quick_check after a kill: {check}"])

    def verify(self, db) -> list[str]:
        """Every answered registration is there exactly once, with the codes it was given."""
        problems = list(self.problems) + [f"never answered: {c}" for c in self.pending]
        check = db.execute("pragma integrity_check").fetchone()[0]
        if check != "ok":
            problems.append(f"integrity_check: {check}")
        codes = [code for code, members in self.acked.values() for code in [code, *members]]
        if len(codes) != len(set(codes)):
            problems.append("a code was given to two different records")
        for client_id, (code, members) in self.acked.items():
            rows = list(
                db.query("select id, code from households where client_id = ?", [client_id])
            )
            if len(rows) != 1 or rows[0]["code"] != code:
                problems.append(f"{client_id}: stored {rows}, answered {code}")
                continue
            stored = [
                r["code"]
                for r in db.query(
                    "select code from people where household_id = ? order by position",
                    [rows[0]["id"]],
                )
            ]
            if stored != members:
                problems.append(f"{client_id}: members {stored}, answered {members}")
        return problems + self._log_and_codes(db)

    def _log_and_codes(self, db) -> list[str]:
        """Each household has its change-log entry; codes were issued in order without reuse."""
        problems = []
        orphans = next(
            db.query(
                "select count(*) n from households h where not exists (select 1 from changes c "
                "where c.tbl = 'households' and c.record_id = h.id)"
            )
        )["n"]
        if orphans:
            problems.append(f"{orphans} households without a change-log entry")
        seqs = next(db.query("select count(*) n, max(seq) top from changes"))
        if seqs["n"] != (seqs["top"] or 0):
            problems.append(f"change-log seq has gaps: {seqs}")
        top = next(db.query("select max(seq) top from codes"))["top"] or 0
        if top > self._code_seq(db):
            problems.append("a code above the counter was issued")
        return problems

    def _code_seq(self, db) -> int:
        rows = list(db.query("select value from settings where key = 'code_seq'"))
        return int(rows[0]["value"]) if rows else 0

    def figures(self) -> dict:
        """Return counts for the report."""
        return {"acked": len(self.acked), "sent": self.sent, "lost_answers": self.lost}
