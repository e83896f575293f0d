"""The subcommand registry: each ``cli`` module registers its commands with :func:`command`.

Kept apart from ``cli/__init__`` so the command modules can import it while ``__init__`` imports them
explicitly (no import list written as strings).
"""
from __future__ import annotations

import argparse
from collections.abc import Callable

#: name -> (help, add_arguments, run); run returns the process exit code.
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {}


def command(name: str, help: str, add_arguments: Callable[[argparse.ArgumentParser], None]):
    """Registers ``run(args) -> int`` as subcommand ``name``."""

    def register(run: Callable[[argparse.Namespace], int]):
        COMMANDS[name] = (help, add_arguments, run)
        return run

    return register
