"""WSGI entry point for a WSGI server that runs eventlet itself.

The production recipe is `conference serve --workers N` (N eventlet processes on consecutive ports,
see the README and deploy/nginx/conference.conf): gunicorn has no eventlet worker since release 26.
Several workers need a message queue (CONFERENCE_MESSAGE_QUEUE=redis://...) and sticky sessions
in front.
"""

import os

if os.environ.get("CONFERENCE_ASYNC_MODE", "eventlet") == "eventlet":
    import warnings

    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # the text starts with a newline
    import eventlet

    eventlet.monkey_patch()

from conference import create_app

app = create_app()
