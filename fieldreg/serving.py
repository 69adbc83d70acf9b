"""Serve with waitress, and stop cleanly: on SIGTERM or Ctrl-C, finish what is in flight.

waitress's own ``serve()`` dies on the first signal with requests half done. Here the loop
runs in small steps; a signal stops the listening socket (new clients are refused at once),
then the loop keeps turning until every accepted request has been answered and flushed, or
the grace period ends, and only then are the worker threads stopped.
"""

from __future__ import annotations

import logging
import signal
import threading
import time

from waitress import create_server
from waitress.channel import HTTPChannel

from fieldreg import uploads

log = logging.getLogger("fieldreg.serving")
STEP = 0.2  # seconds per loop turn: how soon a signal is noticed


def serve(app, host: str, port: int, threads: int, grace: float = 30.0, on_stop=None) -> None:
    """Serve ``app`` until SIGTERM/SIGINT, then drain requests in flight and return."""
    server = create_server(
        app, host=host, port=port, threads=threads, ident="fieldreg",
        **uploads.server_limits(app.config),
    )  # fmt: skip
    # waitress warns "Task queue depth is N" on every request queued while all threads are
    # busy: at shift change that is every request, and formatting those lines cost ~15% of
    # the CPU of a registration. A queue is normal under load; errors are still logged.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    stopping = threading.Event()

    def on_signal(signum, _frame):
        log.warning("signal %s: finishing requests in flight, then stopping", signum)
        stopping.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while not stopping.is_set():
            _turn(server)
        if on_stop:
            on_stop()
        _drain(server, grace)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _turn(server) -> None:
    """Run one step of waitress's event loop."""
    server.asyncore.loop(timeout=STEP, map=server._map, use_poll=True, count=1)


def _busy(server) -> bool:
    """Tell whether any connection has a request being served or output not yet sent."""
    return any(
        isinstance(ch, HTTPChannel) and (ch.requests or ch.total_outbufs_len)
        for ch in list(server._map.values())
    )


def _drain(server, grace: float) -> None:
    """Stop accepting, answer what was accepted, then close everything."""
    server.accepting = False
    server.del_channel()
    server.socket.close()  # new connections are refused from here on
    deadline = time.monotonic() + grace
    while _busy(server) and time.monotonic() < deadline:
        _turn(server)
    if _busy(server):
        log.error("stopped with requests still running after %.0f s", grace)
    server.task_dispatcher.shutdown(timeout=5)
    for channel in list(server._map.values()):
        channel.close()
    log.warning("stopped cleanly")
