"""The `conference` console script. Kept free of imports so eventlet can patch first."""

from __future__ import annotations

import os
import sys

# The group's options that take a value (FlaskGroup's), skipped when looking for the command name.
_OPTIONS_WITH_A_VALUE = {"--app", "-A", "--env-file", "-e"}


def command_line(args: list[str]) -> tuple[str | None, bool]:
    """The command's name, and whether --verbose (-v) came before it."""
    verbose = False
    args_left = iter(args)
    for arg in args_left:
        if arg in ("--verbose", "-v"):
            verbose = True
        elif arg in _OPTIONS_WITH_A_VALUE:
            next(args_left, None)
        elif not arg.startswith("-"):
            return arg, verbose
    return None, verbose


def main() -> None:
    command, verbose = command_line(sys.argv[1:])
    if not verbose:
        import warnings

        # eventlet announces its maintenance mode on import (eight lines, before anything useful);
        # the stack is fixed by the project. --verbose shows it.
        warnings.filterwarnings(
            "ignore", message=r"\s*Eventlet is deprecated"
        )  # the text starts with a newline
    mode = os.environ.get("CONFERENCE_ASYNC_MODE") or "eventlet"
    if command == "serve" and mode == "eventlet":
        import eventlet

        eventlet.monkey_patch()
    elif command == "serve" and mode == "gevent":
        from gevent import monkey

        monkey.patch_all()
    from .cli import cli

    cli(prog_name="conference")
