"""Races for tests: real threads released together by a barrier, each in its own app context."""

from __future__ import annotations

import threading
from collections.abc import Callable

from conference.errors import ServiceError
from conference.extensions import db


def run_together(app, action: Callable[[int], object], threads: int) -> list[str]:
    """Run `action(n)` in `threads` threads released at once; the sorted outcomes ("ok" or error codes)."""
    barrier = threading.Barrier(threads)
    outcomes: list[str] = []

    def worker(n):
        with app.app_context():
            try:
                barrier.wait()
                action(n)
                outcomes.append("ok")
            except ServiceError as exc:
                outcomes.append(exc.code)
            finally:
                db.session.remove()

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for worker_thread in workers:
        worker_thread.start()
    for worker_thread in workers:
        worker_thread.join()
    return sorted(outcomes)
