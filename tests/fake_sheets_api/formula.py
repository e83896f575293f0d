"""A small formula evaluator, enough for the fake to answer FORMATTED/UNFORMATTED values of formulas.

Supports numbers, strings, booleans, cell and range references (optionally 'Sheet'!A1),
+ - * / ^ & % and comparisons, and a handful of functions (SUM, AVERAGE, MIN, MAX, COUNT, COUNTA,
IF, AND, OR, NOT, CONCATENATE, LEN, UPPER, LOWER, TRIM, ROUND, ABS). Anything else evaluates to
``#NAME?`` as in Sheets, so a formula never crashes the server. References are not rewritten when
rows or columns are inserted or deleted (documented limitation of the fake).
"""

from __future__ import annotations

import re
from typing import Any, Callable

from .a1 import RangeError, parse_cells, split_sheet


class FormulaError(Exception):
    """Evaluation error carrying the Sheets error code (#DIV/0!, #NAME?, #VALUE!, #REF!, #ERROR!)."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(code)
        self.code = code
        self.message = message


_TOKEN_RE = re.compile(
    r"""\s*(?:
    (?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
    |(?P<str>"(?:[^"]|"")*")
    |(?P<ref>(?:'(?:[^']|'')+'!|[A-Za-z_][A-Za-z0-9_]*!)?\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?(?![A-Za-z0-9_(]))
    |(?P<name>[A-Za-z_][A-Za-z0-9_.]*)
    |(?P<op><>|<=|>=|[-+*/^&=<>(),%:])
    )""",
    re.VERBOSE,
)

# resolver(sheet_title or None, CellBox) -> list of rows of values
Resolver = Callable[[str | None, Any], list[list[Any]]]


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            raise FormulaError("#ERROR!", "Formula parse error.")
        pos = m.end()
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
    return out


class _Parser:
    def __init__(self, text: str, resolve: Resolver) -> None:
        self.toks = _tokens(text)
        self.i = 0
        self.resolve = resolve

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            raise FormulaError("#ERROR!", "Formula parse error.")
        self.i += 1
        return tok

    def parse(self) -> Any:
        value = self.comparison()
        if self.peek() is not None:
            raise FormulaError("#ERROR!", "Formula parse error.")
        return value

    def comparison(self) -> Any:
        left = self.concat()
        while (tok := self.peek()) and tok[1] in ("=", "<>", "<", ">", "<=", ">="):
            self.i += 1
            right = self.concat()
            a, b = _scalar(left), _scalar(right)
            if isinstance(a, str) and isinstance(b, str):
                a, b = a.lower(), b.lower()
            elif isinstance(a, str) != isinstance(b, str):
                a, b = str(a), str(b)
            left = {"=": a == b, "<>": a != b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[tok[1]]
        return left

    def concat(self) -> Any:
        left = self.additive()
        while (tok := self.peek()) and tok[1] == "&":
            self.i += 1
            left = _text(left) + _text(self.additive())
        return left

    def additive(self) -> Any:
        left = self.term()
        while (tok := self.peek()) and tok[1] in ("+", "-"):
            self.i += 1
            right = _number(self.term())
            left = _number(left) + right if tok[1] == "+" else _number(left) - right
        return left

    def term(self) -> Any:
        left = self.power()
        while (tok := self.peek()) and tok[1] in ("*", "/"):
            self.i += 1
            right = _number(self.power())
            if tok[1] == "*":
                left = _number(left) * right
            else:
                if right == 0:
                    raise FormulaError("#DIV/0!", "Function DIVIDE parameter 2 cannot be zero.")
                left = _number(left) / right
        return left

    def power(self) -> Any:
        left = self.unary()
        while (tok := self.peek()) and tok[1] == "^":
            self.i += 1
            left = _number(left) ** _number(self.unary())
        return left

    def unary(self) -> Any:
        tok = self.peek()
        if tok and tok[1] in ("-", "+"):
            self.i += 1
            value = _number(self.unary())
            return -value if tok[1] == "-" else value
        value = self.primary()
        while (tok := self.peek()) and tok[1] == "%":
            self.i += 1
            value = _number(value) / 100
        return value

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "num":
            return float(text)
        if kind == "str":
            return text[1:-1].replace('""', '"')
        if kind == "ref":
            title, cells = split_sheet(text)
            try:
                box = parse_cells(cells or "")
            except RangeError as exc:
                raise FormulaError("#REF!") from exc
            rows = self.resolve(title, box)
            if ":" in (cells or ""):
                return _Range(rows)
            return rows[0][0] if rows and rows[0] else None
        if kind == "name":
            upper = text.upper()
            if upper in ("TRUE", "FALSE") and not (self.peek() and self.peek()[1] == "("):
                return upper == "TRUE"
            self.take("(")
            args: list[Any] = []
            if self.peek() and self.peek()[1] != ")":
                args.append(self.comparison())
                while self.peek() and self.peek()[1] == ",":
                    self.i += 1
                    args.append(self.comparison())
            self.take(")")
            return _call(upper, args)
        if text == "(":
            value = self.comparison()
            self.take(")")
            return value
        raise FormulaError("#ERROR!", "Formula parse error.")


class _Range(list):
    """A range argument: rows of values."""

    def flat(self) -> list[Any]:
        return [v for row in self for v in row]


def _scalar(v: Any) -> Any:
    if isinstance(v, _Range):
        flat = v.flat()
        return flat[0] if flat else None
    return 0 if v is None else v


def _number(v: Any) -> float:
    v = _scalar(v)
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        return float(v)
    if v == "" or v is None:
        return 0.0
    try:
        return float(str(v).replace(",", ""))
    except ValueError as exc:
        raise FormulaError("#VALUE!", f"Function expects number values. But '{v}' is a text and cannot be coerced to a number.") from exc


def _text(v: Any) -> str:
    from .values import format_general

    v = _scalar(v)
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (int, float)):
        return format_general(float(v))
    return "" if v is None else str(v)


def _numbers(args: list[Any]) -> list[float]:
    out: list[float] = []
    for a in args:
        if isinstance(a, _Range):
            out.extend(float(v) for v in a.flat() if isinstance(v, (int, float)) and not isinstance(v, bool))
        else:
            out.append(_number(a))
    return out


def _call(name: str, args: list[Any]) -> Any:
    if name == "SUM":
        return sum(_numbers(args))
    if name in ("AVERAGE", "MIN", "MAX"):
        nums = _numbers(args)
        if not nums:
            if name == "AVERAGE":
                raise FormulaError("#DIV/0!", "Evaluation of function AVERAGE caused a divide by zero error.")
            return 0.0
        return {"AVERAGE": sum(nums) / len(nums), "MIN": min(nums), "MAX": max(nums)}[name]
    if name == "COUNT":
        return float(len(_numbers([a for a in args if isinstance(a, _Range)]))
                     + sum(1 for a in args if not isinstance(a, _Range) and isinstance(a, (int, float))))
    if name == "COUNTA":
        flat = [v for a in args for v in (a.flat() if isinstance(a, _Range) else [a])]
        return float(sum(1 for v in flat if v not in (None, "")))
    if name == "IF":
        if len(args) not in (2, 3):
            raise FormulaError("#N/A", "Wrong number of arguments to IF.")
        cond = _scalar(args[0])
        truthy = _number(cond) != 0 if not isinstance(cond, str) else bool(cond)
        return args[1] if truthy else (args[2] if len(args) == 3 else False)
    if name in ("AND", "OR"):
        vals = [_number(v) != 0 for a in args for v in (a.flat() if isinstance(a, _Range) else [a])]
        return all(vals) if name == "AND" else any(vals)
    if name == "NOT" and len(args) == 1:
        return not (_number(args[0]) != 0)
    if name in ("CONCATENATE", "CONCAT"):
        return "".join(_text(v) for a in args for v in (a.flat() if isinstance(a, _Range) else [a]))
    if name == "LEN" and len(args) == 1:
        return float(len(_text(args[0])))
    if name == "UPPER" and len(args) == 1:
        return _text(args[0]).upper()
    if name == "LOWER" and len(args) == 1:
        return _text(args[0]).lower()
    if name == "TRIM" and len(args) == 1:
        return " ".join(_text(args[0]).split())
    if name == "ABS" and len(args) == 1:
        return abs(_number(args[0]))
    if name == "ROUND" and len(args) in (1, 2):
        digits = int(_number(args[1])) if len(args) == 2 else 0
        return float(round(_number(args[0]), digits))
    raise FormulaError("#NAME?", f"Unknown function: '{name}'.")


def evaluate(formula: str, resolve: Resolver) -> Any:
    """Evaluate ``=...``; returns a number/str/bool, or raises FormulaError."""
    value = _Parser(formula[1:], resolve).parse()
    value = _scalar(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value
