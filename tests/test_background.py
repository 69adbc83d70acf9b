"""The background sync thread (fieldreg/background.py) and a locked station (issue 13)."""

from __future__ import annotations

import threading

from fieldreg import background, keyring


def test_a_locked_station_skips_sync_and_the_thread_lives_on(data_dir, monkeypatch):
    path = str(data_dir / "fieldreg.db")
    keyring.lock(data_dir)
    assert background.once(path) is True  # nothing to send while locked; no exception
    real, calls, stop = background.once, [], threading.Event()

    def counted(p):
        calls.append(p)
        if len(calls) == 3:
            stop.set()
        return real(p)

    monkeypatch.setattr(background, "once", counted)
    thread = threading.Thread(target=background.loop, args=(path, 0.01, stop), daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive() and len(calls) == 3  # it kept trying, it did not die
