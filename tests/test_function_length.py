"""No product function is longer than a reader can take in at once (80 lines, decorators and
docstring included): a longer one is split along its own stages, each named for what it does."""
import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PRODUCT = ("workbook_addin", "sheets_sync")
LIMIT = 80


def _functions():
    for package in PRODUCT:
        for path in sorted((REPO / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                    yield f"{path.relative_to(REPO)}:{node.lineno} {node.name}", node.end_lineno - first + 1


def test_the_check_sees_the_product_code():
    found = dict(_functions())
    assert len(found) > 500
    assert any(name.endswith(" evaluate") for name in found)


def test_no_product_function_is_over_80_lines():
    long = sorted((lines, name) for name, lines in _functions() if lines > LIMIT)
    assert long == [], "\n".join(f"{lines} lines: {name}" for lines, name in long)
