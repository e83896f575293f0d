"""The ``lianxing`` command: the same jobs as the workbook's buttons, on files, without Excel.

Each subcommand is a thin layer over a documented library call, so what the CLI does a script can
do too. Each module below registers its subcommands through :func:`registry.command`; importing
them here is what puts them on the parser.
"""
from __future__ import annotations

import argparse
import sys

# Imported for their effect: each registers its subcommands, in the order ``--help`` lists them.
from . import schema, score, refresh, build, report, sync  # noqa: F401,I001
from ..core.errors import LianxingError
from .registry import COMMANDS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lianxing", description="Lianxing creator evaluation workbook")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, add_arguments, run) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_arguments(p)
        p.set_defaults(run=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Runs one subcommand. An error Lianxing raises on purpose ends the command with its message
    on stderr and exit code 2, never a traceback: a person reads the message, a script the code.
    Commands that need a finer exit code (``refresh``: 3 for an unreadable workbook) catch first."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except LianxingError as error:
        print(f"错误 error: {error.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中断 interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
