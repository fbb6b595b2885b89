"""WSGI entry point: `gunicorn -k gevent -w 1 wsgi:app` (the gevent mode), or a server that runs eventlet.

- gevent: gunicorn's gevent worker patches the process before it loads this module; the async mode
  is then gevent (CONFERENCE_ASYNC_MODE may say so, and may not say anything else). One gunicorn
  worker per port: gunicorn cannot keep the requests of one Socket.IO client (long-polling) on one
  of its workers, so several workers are several gunicorn processes on consecutive ports behind a
  load balancer with sticky sessions (deploy/nginx/conference.conf), each with its own
  CONFERENCE_INSTANCE_ID. tests/live_engine/test_gunicorn.py runs this recipe.
- eventlet (the default mode): this module patches the process itself, for a WSGI server that runs
  eventlet. gunicorn has no eventlet worker since release 26: `conference serve --workers N` is the
  eventlet recipe (see the README).
Several workers need a message queue (CONFERENCE_MESSAGE_QUEUE=redis://...).
"""

import os
import sys


def _patched_by_gevent() -> bool:
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and bool(monkey.is_module_patched("socket"))


if _patched_by_gevent():
    _mode = os.environ.setdefault("CONFERENCE_ASYNC_MODE", "gevent")
    if _mode != "gevent":
        raise RuntimeError(
            f"CONFERENCE_ASYNC_MODE={_mode}, but a gevent server (gunicorn -k gevent) loads wsgi.py: "
            "set CONFERENCE_ASYNC_MODE=gevent, or serve eventlet with `conference serve --workers N`"
        )
else:
    _mode = os.environ.get("CONFERENCE_ASYNC_MODE", "eventlet")
    if _mode == "gevent":
        raise RuntimeError(
            "CONFERENCE_ASYNC_MODE=gevent needs a server that runs gevent: gunicorn -k gevent -w 1 wsgi:app"
        )
    if _mode == "eventlet":
        import warnings

        warnings.filterwarnings(
            "ignore", message=r"\s*Eventlet is deprecated"
        )  # the text starts with a newline
        import eventlet

        eventlet.monkey_patch()

import socket  # noqa: E402 - after the patching above

from conference import create_app, hooks  # noqa: E402
from conference.cli import prepare_process  # noqa: E402

app = create_app()
# One worker per host unless CONFERENCE_INSTANCE_ID names each (as the README's gunicorn recipe does).
app.config["INSTANCE_ID"] = app.config.get("INSTANCE_ID") or socket.gethostname()
if _mode != "threading":
    prepare_process(10000)  # the open-file limit for 10,000 sockets; start-up objects out of the GC's view
hooks.server_starting.send(app)  # forget this process's stale sockets, resume due timers
