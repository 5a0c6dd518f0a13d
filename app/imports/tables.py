"""Reading an uploaded CSV or XLSX file into rows of cells, and what can be wrong with it."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time
from typing import Any

from openpyxl import load_workbook

# A cell as read: text from CSV; from XLSX also numbers, dates and times as Excel typed them.
Cell = str | int | float | datetime | date | time | None


class ImportFileError(Exception):
    """The file as a whole cannot be used; `key` is the catalogue message to show."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def english(self) -> str:
        from app.i18n import Translator

        return Translator("en")(self.key, **self.params)


def _decode(content: bytes) -> str:
    # Excel in Korea saves CSV as CP949 unless told otherwise; UTF-8 (with or without BOM) first.
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError("import.file.encoding")


def _csv_rows(content: bytes) -> list[list[Cell]]:
    text = _decode(content)
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    return [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _xlsx_rows(content: bytes) -> list[list[Cell]]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise ImportFileError("import.file.unreadable") from exc
    try:
        sheet = workbook.worksheets[0]
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    except Exception as exc:  # a damaged sheet inside a readable zip
        raise ImportFileError("import.file.unreadable") from exc
    finally:
        workbook.close()
    return rows


def is_xlsx(filename: str, content: bytes) -> bool:
    return filename.lower().endswith((".xlsx", ".xlsm")) or content[:2] == b"PK"


def read_cells(filename: str, content: bytes, *, max_bytes: int) -> list[list[Cell]]:
    """The file's cells, row by row (heading first), typed as the file holds them."""
    if not content:
        raise ImportFileError("import.file.empty")
    if len(content) > max_bytes:
        raise ImportFileError("import.file.too_big", limit_mb=max_bytes // 1_000_000)
    if is_xlsx(filename, content):
        return _xlsx_rows(content)
    return _csv_rows(content)


def text(cell: Cell) -> str:
    """A cell as trimmed text (numbers as written: 1, not 1.0)."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):  # an Excel date (midnight) or date and time
        if cell.time() == time(0):
            return cell.date().isoformat()
        return cell.strftime("%Y-%m-%d %H:%M")
    if isinstance(cell, time):
        return cell.strftime("%H:%M")
    return str(cell).strip()


def read_table(filename: str, content: bytes, *, max_bytes: int) -> list[list[str]]:
    """The file's cells as text, row by row (heading first)."""
    rows = read_cells(filename, content, max_bytes=max_bytes)
    return [[text(cell) for cell in row] for row in rows]


def blank(row: list[Cell]) -> bool:
    return not any(text(cell) for cell in row)
