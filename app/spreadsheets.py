"""Text that goes into the exports organisers open in a spreadsheet (CSV and XLSX).

Names are typed or imported by people outside the organisation, so two things are done to
every text cell: the control characters XLSX cannot hold are dropped (one such name would
otherwise make the whole workbook fail), and a text that starts like a formula stays text
(OWASP's CSV injection advice): a company called "=HYPERLINK(...)" must not become a live
link or formula in the organiser's spreadsheet.
"""

from __future__ import annotations

from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# A spreadsheet opening a CSV runs a cell starting with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean(value: Any) -> Any:
    """`value` without the control characters XLSX cannot hold (non-text unchanged)."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def csv_text(value: Any) -> Any:
    """A CSV field: cleaned, and text that starts like a formula gets a leading apostrophe.

    Numbers are not text and keep their sign.
    """
    value = clean(value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def keep_text(cells: Any, values: list[Any]) -> None:
    """Make the XLSX cells of `values` that are text plain strings, never formulas.

    openpyxl stores a string starting with "=" as a formula; the data type "s" writes it
    as the text it is.
    """
    for cell, value in zip(cells, values, strict=True):
        if isinstance(value, str):
            cell.data_type = "s"
