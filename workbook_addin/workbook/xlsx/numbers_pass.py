"""Numbers into cells that already exist, in one pass over a sheet: the bulk of a big refresh.

A refresh of 50 000 posts writes some 400 000 numbers (views, likes, and the cached results of the
calculated columns that depend on them) into cells that are already there. Finding each row and
then each cell by hand cost about 3 microseconds a cell; one regular expression over the columns
being written finds them all in C. A Python loop over the cells it found still cost more than the
search, so the cells are handled as columns of a list instead: ``re.split`` cuts the sheet at each
cell, one ``map`` of ``dict.pop`` puts each new number in place of the old one, and Python looks
only at the few cells that are not in the usual form. Anything else (text, blanks, dates, a cell
that is missing or holds an inline string) is left to the row-by-row patch in :mod:`.sheetxml`,
which also takes every cell of a row this pass could not finish.
"""
from __future__ import annotations

import re
from collections import Counter
from itertools import chain, compress, count, repeat
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
#: same text.
_USUAL = rb'"(?: s="[^">]*+")?(?: cm="[^">]*+")?>(?:<f\b[^>]*+(?<=/)>|<f\b[^>]*+>[^<]*+</f>)?<v>'
_OTHER = rb'(?<=\d)"[^>]*?(?:/>|>' + _FORMULA + rb'?(?:<v>[^<]*</v>)?</c>)'
_CELLS = rb'((<c r="(?:%s)\d++)(?:' + _USUAL + rb')?)(?:(?<=<v>)([^<]*+)(?=</v></c>)|(' + _OTHER + rb'))'
_REF = re.compile(rb'<c r="([A-Z]+)(-?\d+)')  # -: a row number no sheet has, never found


def write_numbers(body: bytes, values: dict[int, dict[int, Any]], start: int = 0,
                  end: int | None = None) -> tuple[list[bytes], dict[int, dict[int, Any]]]:
    """(pieces of ``body[start:end]`` with every plain number of ``values`` written, the rows
    left to patch).

    A row is left whole, with all its values, when any of them is not a plain number or any of
    its cells was not found in a form rewritten here; the row patch writes it then (again, for
    the cells written here: the same value twice is the same cell)."""
    letters = {c: col_letter(c).encode() for c in set(chain.from_iterable(values.values()))}
    numbers, rest = _plain_numbers(values, letters)
    end = len(body) if end is None else end
    if not numbers:
        return [body[start:end]], rest
    written = {c for r, row in values.items() if r not in rest for c in row} if rest else letters
    columns: list[bytes] = sorted((letters[c] for c in written), key=len, reverse=True)  # AB before A
    pattern = re.compile(_CELLS % b"|".join(columns))
    parts = pattern.split(memoryview(body)[start:end])  # text, then a cell's four pieces, text, ...
    # each number is popped where its cell is found: the ones left are cells that were not
    news = list(map(numbers.pop, parts[2::5], repeat(None)))
    olds, others = parts[3::5], parts[4::5]
    parts[3::5] = news
    extra = _finish_other_cells(parts, news, olds, others, values, rest)
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


def _finish_other_cells(parts: list[Any], news: list[bytes | None], olds: list[bytes],
                        others: list[bytes | None], values: dict[int, dict[int, Any]],
                        rest: dict[int, dict[int, Any]]) -> Counter[int]:
    """Finish, in ``parts``, the cells the one lookup did not: a cell in another form is rebuilt
    as the pass has always rebuilt it (or kept), a cell of a row not written gets its old number
    back, and a second copy of a cell (or one written "B07") gets the number too.

    Returns the count of such extra copies a row: with the cells never found, they decide whether
    the row patch must take the row (a row is finished when it had each of its cells once)."""
    extra: Counter[int] = Counter()
    misses = [i for i, new in enumerate(news) if new is None]
    for i in sorted(set(misses).union(compress(count(), others))):  # others: None but in the other form
        j = 5 * i + 1
        if others[i] is None:  # the usual form
            r, c = _row_col(parts[j + 1])
            text = _number(values, rest, r, c)
            parts[j + 2] = olds[i] if text is None else text
        else:
            cell = parts[j] + others[i]
            m = _ANY_CELL.match(cell)
            assert m is not None  # the same text the split matched
            r, c = int(m[2]), col_index(m[1].decode())
            text = _number(values, rest, r, c)
            parts[j], parts[j + 2] = cell if text is None else _rewritten(cell, m, text), b""
        if text is not None and news[i] is None:
            extra[r] += 1
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
