"""Run blocking work off the hub: one helper for CPU-heavy or non-cooperative calls.

Under eventlet (and gevent) one OS thread serves every socket of a worker, so a call that does not
yield (an Argon2 hash, a libpq call of psycopg 3, a large report, a PDF) freezes every client of that
worker until it returns. `run_blocking(fn, *args, **kwargs)` runs `fn` in a real OS thread and lets
the hub serve others meanwhile: eventlet's `tpool` when eventlet has patched the process, gevent's
thread pool under gevent, and a plain call otherwise (the threading mode of the tests, scripts).

The function must not touch the calling greenlet's Flask or SQLAlchemy session state: pass it plain
values and let it open its own resources.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def _patched_by(library: str) -> bool:
    module = sys.modules.get(f"{library}.patcher" if library == "eventlet" else f"{library}.monkey")
    if module is None:
        return False
    if library == "eventlet":
        return bool(module.is_monkey_patched("thread"))
    return bool(module.is_module_patched("threading"))


def green_library() -> str | None:
    """ "eventlet" or "gevent" when that library has patched this process's threads, else None."""
    if _patched_by("eventlet"):
        return "eventlet"
    if _patched_by("gevent"):
        return "gevent"
    return None


def run_blocking(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """`fn(*args, **kwargs)` in a real thread when a green hub runs this process, else in place."""
    if _patched_by("eventlet"):
        from eventlet import tpool

        return tpool.execute(fn, *args, **kwargs)
    if _patched_by("gevent"):
        import gevent

        return gevent.get_hub().threadpool.apply(fn, args, kwargs)
    return fn(*args, **kwargs)
