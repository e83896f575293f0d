"""Numbers into cells that already exist, in one pass over a sheet: the bulk of a big refresh.

A refresh of 50 000 posts writes some 400 000 numbers (views, likes, and the cached results of the
calculated columns that depend on them) into cells that are already there. Finding each row and
then each cell by hand cost about 3 microseconds a cell; one regular expression over the columns
being written finds them all in C. A Python loop over the cells it found still cost more than the
search, so the cells are handled as columns of a list instead: ``re.split`` cuts the sheet at each
cell, one ``map`` of ``dict.pop`` puts each new number in place of the old one (a cell not written
keeps its old one), and Python looks only at the few cells that are not in the usual form.
Anything else (text, blanks, dates, a cell that is missing, holds an inline string or is written
"B07") is left to the row-by-row patch in :mod:`.sheetxml`, which also takes every cell of a row
this pass could not finish.
"""
from __future__ import annotations

import re
from collections import Counter
from itertools import chain, compress, count
from typing import Any, cast

from .cells import kept_attrs, number_bytes
from .refs import col_index, col_letter

_FORMULA = rb'(?:<f\b[^>]*?/>|<f\b[^>]*>[^<]*</f>)'
#: a cell of the columns being written, and its formula if any; the value, if any, is replaced
_ANY_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"([^>]*?)(?:/>|>(' + _FORMULA + rb')?(?:<v>[^<]*</v>)?</c>)')
#: the same cells (``%s``: the columns' letters), as the four pieces ``re.split`` returns a cell:
#: its text up to the old number (``<c r="B7" s="3"><v>``) when it is in the usual form (no
#: attribute but ``s`` and ``cm``, which a rewrite keeps, and a value), else ``<c r="B7`` alone;
#: ``<c r="B7`` again, to look it up; the old number, which alone changes (its ``</v></c>`` is left
#: to the text that follows); or, for any other form, the rest of the cell (right after the row
#: number). The usual form's formula is :data:`_FORMULA` without its lazy ``*?``: it matches the
#: same text. A row number is taken only as written without leading zeros ("B07" is left alone).
_USUAL = rb'"(?: s="[^">]*+")?(?: cm="[^">]*+")?>(?:<f\b[^>]*+(?<=/)>|<f\b[^>]*+>[^<]*+</f>)?<v>'
_OTHER = rb'(?<=\d)"[^>]*?(?:/>|>' + _FORMULA + rb'?(?:<v>[^<]*</v>)?</c>)'
_CELLS = rb'((<c r="(?:%s)[1-9]\d*+)(?:' + _USUAL + rb')?)(?:(?<=<v>)([^<]*+)(?=</v></c>)|(' + _OTHER + rb'))'
_REF = re.compile(rb'<c r="([A-Z]+)(-?\d+)')  # -: a row number no sheet has, never found


def write_numbers(body: bytes, values: dict[int, dict[int, Any]], start: int = 0,
                  end: int | None = None) -> tuple[list[bytes], dict[int, dict[int, Any]]]:
    """(pieces of ``body[start:end]`` with every plain number of ``values`` written, the rows
    left to patch).

    A row is left whole, with all its values, when any of them is not a plain number or any of
    its cells was not found in a form rewritten here (or found twice); the row patch writes it
    then (again, for the cells written here: the same value twice is the same cell)."""
    letters = {c: col_letter(c).encode() for c in set(chain.from_iterable(values.values()))}
    numbers, rest = _plain_numbers(values, letters)
    end = len(body) if end is None else end
    if not numbers:
        return [body[start:end]], rest
    written = {c for r, row in values.items() if r not in rest for c in row} if rest else set(letters)
    columns: list[bytes] = sorted((letters[c] for c in written), key=len, reverse=True)  # AB before A
    parts = re.compile(_CELLS % b"|".join(columns)).split(memoryview(body)[start:end])  # text, a cell's 4 pieces, ...
    refs, olds, others = parts[2::5], parts[3::5], parts[4::5]
    # each number is popped where its cell is found (a cell not written keeps its number; None:
    # a cell in another form): the numbers left are cells that were not found
    wanted = len(numbers)
    news = list(map(numbers.pop, refs, olds))
    parts[3::5] = news
    extra = _finish_other_cells(parts, news, others, values, rest)
    # a cell found twice (a damaged sheet) gets the number in each copy; when each cell found
    # took a number, none was
    if wanted - len(numbers) < len(refs) and len(set(refs)) < len(refs):
        extra += _second_copies(parts, refs, others, values, rest)
    del parts[4::5], parts[2::4]  # a cell is now its first piece and its number: fewer to join
    left = Counter(_row_col(key)[0] for key in numbers)
    if left or extra:
        rest.update((r, values[r]) for r in values if left[r] != extra[r])
    return parts, rest


def _plain_numbers(values: dict[int, dict[int, Any]],
                   letters: dict[int, bytes]) -> tuple[dict[bytes, bytes], dict[int, dict[int, Any]]]:
    """({b'<c r="B7': b"1.5"} for each value of the rows whose values are all plain numbers, the
    other rows). The numbers are written by one ``map`` and checked once for the whole sheet: a
    refresh has 300 000 of them and seldom a row with anything else."""
    head = {c: b'<c r="' + letter for c, letter in letters.items()}
    rows = values.values()
    texts = list(map(number_bytes, chain.from_iterable(map(dict.values, rows))))
    refs = [head[c] + number for number, row in zip(map(b"%d".__mod__, values), rows) for c in row]
    numbers = dict(zip(refs, texts))
    rest: dict[int, dict[int, Any]] = {}
    if not (all(texts) and all(rows)):  # rows with text, blanks or dates (None) go whole to the row patch
        rest = {r: row for r, row in values.items() if not row or None in map(number_bytes, row.values())}
        for r, row in rest.items():
            for c in row:
                del numbers[head[c] + b"%d" % r]
    return cast("dict[bytes, bytes]", numbers), rest  # the rows with a None went to rest


def _finish_other_cells(parts: list[Any], news: list[Any], others: list[bytes | None],
                        values: dict[int, dict[int, Any]], rest: dict[int, dict[int, Any]]) -> Counter[int]:
    """Finish, in ``parts``, the cells found in another form than the usual one: rebuilt as the
    pass has always rebuilt them when written here, else kept.

    Returns, per row, how many such cells got a number that an earlier copy of the cell had
    taken (second copies): with the cells never found, they decide whether the row patch must
    take the row (a row is finished when it had each of its cells once)."""
    extra: Counter[int] = Counter()
    for i in compress(count(), others):
        j = 5 * i + 1
        cell = parts[j] + others[i]
        m = _ANY_CELL.match(cell)
        assert m is not None  # the same text the split matched
        r, c = int(m[2]), col_index(m[1].decode())
        text = _number(values, rest, r, c)
        parts[j], parts[j + 2] = cell if text is None else _rewritten(cell, m, text), b""
        if text is not None and news[i] is None:
            extra[r] += 1
    return extra


def _second_copies(parts: list[Any], refs: list[bytes], others: list[bytes | None],
                   values: dict[int, dict[int, Any]], rest: dict[int, dict[int, Any]]) -> Counter[int]:
    """Writes the number into each later copy, in the usual form, of a cell written here (the
    first copy took it); returns the count of such copies a row."""
    extra: Counter[int] = Counter()
    seen: set[bytes] = set()
    for i, ref in enumerate(refs):
        if ref in seen and others[i] is None:
            r, c = _row_col(ref)
            text = _number(values, rest, r, c)
            if text is not None:
                parts[5 * i + 3] = text
                extra[r] += 1
        seen.add(ref)
    return extra


def _rewritten(cell: bytes, m: re.Match[bytes], text: bytes) -> bytes:
    """``cell`` holding the number ``text``: its reference, the attributes a rewrite keeps, its formula."""
    kept = kept_attrs(m[3].decode("utf-8")).encode("utf-8")
    return cell[:m.start(3)] + kept + b">" + (m[4] or b"") + b"<v>" + text + b"</v></c>"


def _number(values: dict[int, dict[int, Any]], rest: dict[int, dict[int, Any]], r: int, c: int) -> bytes | None:
    """The number written into row ``r``, column ``c`` here, None for a cell not written here."""
    row = values.get(r)
    return number_bytes(row[c]) if row is not None and c in row and r not in rest else None


def _row_col(ref: bytes) -> tuple[int, int]:
    """(row, column) of a ``<c r="B7`` piece."""
    m = _REF.match(ref)
    assert m is not None
    return int(m[2]), col_index(m[1].decode())
