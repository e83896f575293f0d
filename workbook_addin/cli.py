"""The ``lianxing`` command: the same jobs as the workbook's buttons, on files, without Excel.

Each subcommand is a thin layer over a documented library call, so what the CLI does a script can
do too. Subcommands register themselves in :data:`COMMANDS` through :func:`command`.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable

#: name -> (help, add_arguments, run); run returns the process exit code.
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {}


def command(name: str, help: str, add_arguments: Callable[[argparse.ArgumentParser], None]):
    """Registers ``run(args) -> int`` as subcommand ``name``."""

    def register(run: Callable[[argparse.Namespace], int]):
        COMMANDS[name] = (help, add_arguments, run)
        return run

    return register


def _no_arguments(_: argparse.ArgumentParser) -> None:
    pass


@command("schema", "list the workbook's sheets and columns from templates/", _no_arguments)
def _schema(args: argparse.Namespace) -> int:
    from .schema import load_schema

    for sheet in load_schema().sheets:
        print(f"{sheet.name}  [{sheet.table}]  {len(sheet.columns)} columns")
        for col in sheet.columns:
            flags = ",".join(f for f, on in (("sync", col.sync), ("personal", col.personal), ("required", col.required)) if on)
            print(f"    {col.key:<24} {col.type:<9} {col.role:<9} {col.header}  {flags}")
    return 0


#: Modules that define subcommands with :func:`command`; imported when the parser is built.
COMMAND_MODULES: tuple[str, ...] = ("workbook_addin.score_cli", "workbook_addin.refresh_cli", "workbook_addin.build_cli", "workbook_addin.report_cli", "workbook_addin.sync_cli")


def build_parser() -> argparse.ArgumentParser:
    for module in COMMAND_MODULES:
        importlib.import_module(module)
    parser = argparse.ArgumentParser(prog="lianxing", description="Lianxing creator evaluation workbook")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_text, add_arguments, run) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        add_arguments(p)
        p.set_defaults(run=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
