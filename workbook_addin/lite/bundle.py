"""The engine bundle for xlwings Lite: a zip of exactly the project modules the Lite front imports.

Lite loads one ``main.py``; the engine travels inside it as a zip that :mod:`.loader` puts on
``sys.path``. Which modules go in is read from the source, never listed by hand: starting from the
entry modules, every ``import`` of a project module is followed (also inside functions: they run
too), so a new import in the engine is bundled by the next build. Two kinds are not followed:

- an import inside ``try: ... except ImportError`` is optional by construction (the code has a
  fallback, e.g. the archive sync, which Lite does not run);
- the modules in :data:`CLASSIC_ONLY`, which only the file and desktop fronts run; a bundled module
  may import them only inside a function that Lite never calls (a test holds that).

:func:`imports_of` is also what the static check of the bundle reads (no threads, subprocesses,
sockets, sqlite3 or packages Pyodide lacks in what Lite loads).
"""
from __future__ import annotations

import ast
import hashlib
import io
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

#: the folder holding the project's top-level packages (workbook_addin/, templates/)
ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = ("workbook_addin", "templates")
#: the schema and default settings every part reads through ``importlib.resources`` (templates/ also
#: holds sample data and the
#: report template, which Lite does not need)
DATA_FILES = ("templates/__init__.py", "templates/schema.toml", "templates/settings.toml")
#: modules only the file (headless) and classic desktop fronts run: the .xlsm file reader and
#: patcher (python-calamine, a compression thread pool), the dashboard's cached values for files.
CLASSIC_ONLY = frozenset({
    "workbook_addin.workbook.tables_io",
    "workbook_addin.workbook.tables_read",
    "workbook_addin.workbook.tables_write",
    "workbook_addin.workbook.dashboard",
    "workbook_addin.workbook.dashboard_cells",
    "workbook_addin.workbook.formats",  # XlsxWriter formats: the build only
    "workbook_addin.workbook.xlsx.package",
})
#: fixed zip timestamps: the same sources give the same bundle, byte for byte
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Import:
    """One import statement's target in a module's source."""

    module: str  # absolute dotted name (relative imports resolved)
    line: int
    in_function: bool  # inside a def: runs only when that function is called
    optional: bool  # inside try/except ImportError: the code has a fallback


def module_path(name: str) -> Path | None:
    """The source file of a project module or package, or None if it is not one."""
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(n, ast.Name) and n.id in ("ImportError", "ModuleNotFoundError") for n in names)


def _resolve(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    parts = package.split(".")
    base = parts[: len(parts) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


@cache
def imports_of(name: str) -> tuple[Import, ...]:
    """Every import in a project module's source, with where it stands (function, try block)."""
    path = module_path(name)
    if path is None:
        return ()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool, optional: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend(Import(a.name, node.lineno, in_function, optional) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node, package)
            found.append(Import(base, node.lineno, in_function, optional))
            for alias in node.names:  # ``from . import metrics`` imports a module
                if module_path(f"{base}.{alias.name}") is not None:
                    found.append(Import(f"{base}.{alias.name}", node.lineno, in_function, optional))
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:  # the body is for type checkers only: never run, never bundled
                visit(child, in_function, optional)
            return
        elif isinstance(node, ast.Try):
            guarded = optional or any(_catches_import_error(h) for h in node.handlers)
            for child in node.body:
                visit(child, in_function, guarded)
            for handler_or_stmt in [*node.handlers, *node.orelse, *node.finalbody]:
                visit(handler_or_stmt, in_function, optional)
            return
        inner = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for sub in ast.iter_child_nodes(node):
            visit(sub, inner, optional)

    visit(ast.parse(path.read_text(encoding="utf-8")), False, False)
    return tuple(found)


def _is_type_checking(test: ast.expr) -> bool:
    """``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``), whose imports exist for annotations only."""
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def is_project(name: str) -> bool:
    return name.split(".")[0] in PROJECT_PACKAGES


def classic_only(name: str) -> bool:
    return any(name == c or name.startswith(c + ".") for c in CLASSIC_ONLY)


def bundle_modules(entries: tuple[str, ...]) -> list[str]:
    """The project modules the entry modules need, with every package above them, sorted."""
    seen: set[str] = set()
    todo = list(entries)
    while todo:
        name = todo.pop()
        if name in seen or module_path(name) is None or classic_only(name):
            continue
        seen.add(name)
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))  # parent packages run first
        todo.extend(i.module for i in imports_of(name) if is_project(i.module) and not i.optional)
    return sorted(seen)


def _archive_name(module: str) -> str:
    path = module_path(module)
    assert path is not None
    return path.relative_to(ROOT).as_posix()


def build_bundle(entries: tuple[str, ...]) -> bytes:
    """The zip: the needed modules' sources and the schema files, deterministic."""
    names = sorted({_archive_name(m) for m in bundle_modules(entries)} | set(DATA_FILES))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name in names:
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, (ROOT / name).read_bytes())
    return out.getvalue()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
