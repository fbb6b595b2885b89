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


def option_value(args: list[str], name: str) -> str | None:
    """The value of `name VALUE` or `name=VALUE` in `args` (the last one wins), else None."""
    value = None
    args_left = iter(args)
    for arg in args_left:
        if arg == name:
            value = next(args_left, None)
        elif arg.startswith(name + "="):
            value = arg.split("=", 1)[1]
    return value


def main() -> None:
    command, verbose = command_line(sys.argv[1:])
    if not verbose:
        import warnings

        # eventlet announces its maintenance mode on import (eight lines, before anything useful);
        # the stack is fixed by the project. --verbose shows it.
        warnings.filterwarnings(
            "ignore", message=r"\s*Eventlet is deprecated"
        )  # the text starts with a newline
    # `conference serve --async-mode gevent` is CONFERENCE_ASYNC_MODE=gevent: it has to be known
    # before anything is imported (the patching below), and the workers of --workers N inherit it.
    chosen = option_value(sys.argv[1:], "--async-mode") if command == "serve" else None
    if chosen in ("eventlet", "gevent", "threading"):
        os.environ["CONFERENCE_ASYNC_MODE"] = chosen
    mode = os.environ.get("CONFERENCE_ASYNC_MODE") or "eventlet"
    if command == "serve" and mode == "eventlet":
        import eventlet

        eventlet.monkey_patch()
    elif command == "serve" and mode == "gevent":
        from gevent import monkey

        monkey.patch_all()
    from .cli import cli

    cli(prog_name="conference")
