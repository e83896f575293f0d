"""The XlsxWriter worksheet every sheet of the build is written with: formula cells as Excel stores them.

- A formula whose cached result is "" is stored as ``t="str"`` with an empty value, as Excel does.
  XlsxWriter leaves it untyped (to force a recalculation in other programs); LibreOffice then
  recalculates it and shows #VALUE! for a Python function it cannot call.
- A Table's calculated column is written from one formula, its first data row's: Excel's shared
  formula (``<f t="shared" ref="Z2:Z50001" si="0">``, then ``<f t="shared" si="0"/>`` in every
  other row) where Excel allows one, else each row's own text with its row references moved. At
  50 000 collaborations that is 88 MB of sheet XML instead of 298 MB, which every refresh reads and
  writes (see :class:`~.structured_refs.RowRefs`).
"""
from __future__ import annotations

import functools

from xlsxwriter.worksheet import Worksheet

from .xlsx.cells import shift_formula


class TableWorksheet(Worksheet):
    # Every row of a Table column carries the same formula: prepare it once, not once a row
    # (XlsxWriter runs some 40 regular expressions over each formula it writes).
    _prepared: dict[tuple[str, bool], str] = {}

    def __init__(self) -> None:
        super().__init__()
        # column letters -> (first data row, last data row, shared-formula index or None)
        self._calculated: dict[str, tuple[int, int, int | None]] = {}

    def calculated_column(self, letters: str, first: int, last: int, shared: bool) -> None:
        """Rows ``first..last`` (1-based) of column ``letters`` carry the calculated column's
        formula, written for row ``first``: shared where ``shared`` and there is more than one row."""
        index = sum(1 for v in self._calculated.values() if v[2] is not None)
        self._calculated[letters] = (first, last, index if shared and last > first else None)

    def _prepare_formula(self, formula, expand_future_functions=False):
        key = (formula, expand_future_functions)
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = self._prepared[key] = super()._prepare_formula(formula, expand_future_functions)
        return prepared

    @staticmethod
    @functools.lru_cache(maxsize=512)
    def _prepare_table_formula(formula):
        return Worksheet._prepare_table_formula(formula)

    def _xml_formula_element(self, formula, result, attributes=[]) -> None:  # noqa: B006 - XlsxWriter's signature
        if result == "" and not any(key == "t" for key, _ in attributes):
            attributes = [*attributes, ("t", "str")]
        ref = attributes[0][1]
        letters = ref.rstrip("0123456789")
        column = self._calculated.get(letters)
        if column is None:
            return super()._xml_formula_element(formula, result, attributes)
        first, last, shared = column
        row = int(ref[len(letters):])
        if shared is None:
            return super()._xml_formula_element(shift_formula(formula, row - first), result, attributes)
        attr = "".join(f' {key}="{self._escape_attributes(value)}"' for key, value in attributes)
        if row == first:
            f = f'<f t="shared" ref="{letters}{first}:{letters}{last}" si="{shared}">{self._escape_data(formula)}</f>'
        else:
            f = f'<f t="shared" si="{shared}"/>'
        self.fh.write(f"<c{attr}>{f}<v>{self._escape_data(result)}</v></c>")
