"""The `conference` console script. Kept free of imports so eventlet can patch first."""
from __future__ import annotations

import os
import sys


def main() -> None:
    if "serve" in sys.argv[1:2] and os.environ.get("CONFERENCE_ASYNC_MODE", "eventlet") == "eventlet":
        import warnings

        # eventlet announces its maintenance mode on import; the stack is fixed by the project.
        warnings.filterwarnings("ignore", message=".*Eventlet is deprecated.*")
        import eventlet

        eventlet.monkey_patch()
    from .cli import cli

    cli(prog_name="conference")
