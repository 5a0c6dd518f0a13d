"""The duty log as CSV (one table: duty rows, then totals) and as an XLSX workbook."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from app.interpreting.schemas import DutyLog
from app.spreadsheets import clean, csv_text

MINUTES_FORMAT = "#,##0.0"
CSV_HEADERS = [
    "row",
    "interpreter_id",
    "interpreter",
    "meeting_id",
    "meeting_starts_at_utc",
    "company",
    "buyer",
    "channel",
    "stretches",
    "minutes",
]
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")


def _csv_rows(log: DutyLog) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [
            "duty",
            r.interpreter_id,
            r.interpreter,
            r.meeting_id,
            r.meeting_starts_at.isoformat(),
            r.company,
            r.buyer,
            r.channel,
            r.stretches,
            r.minutes,
        ]
        for r in log.rows
    ]
    rows += [
        ["total", t.interpreter_id, t.interpreter, "", "", "", "", "", "", t.minutes]
        for t in log.totals
    ]
    rows.append(["total", "", "all interpreters", "", "", "", "", "", "", log.total_minutes])
    return rows


def to_csv(log: DutyLog) -> str:
    """Minutes as plain decimals to a tenth; times in UTC."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADERS)
    for row in _csv_rows(log):
        writer.writerow([csv_text(value) for value in row])
    return out.getvalue()


def _sheet(
    workbook: Workbook,
    title: str,
    headers: list[str],
    rows: list[list[Any]],
    widths: list[int],
    formats: dict[int, str],
) -> None:
    """A streamed sheet with a styled header row; `formats`: number format by column
    (1-based). Write-only: a big mission's log has ten thousand rows and more."""
    sheet = workbook.create_sheet(title)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    header = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for column, value in enumerate(row, start=1):
            cell = WriteOnlyCell(sheet, value=clean(value))
            if isinstance(value, str):
                cell.data_type = "s"  # text, even when it starts with "=": never a formula
            if column in formats:
                cell.number_format = formats[column]
            cells.append(cell)
        sheet.append(cells)


def to_xlsx(log: DutyLog) -> bytes:
    """Sheets "Duty" (per interpreter, meeting and channel) and "Totals" (per interpreter)."""
    workbook = Workbook(write_only=True)
    _sheet(
        workbook,
        "Duty",
        [
            "interpreter id",
            "interpreter",
            "meeting id",
            "meeting starts (UTC)",
            "company",
            "buyer",
            "channel",
            "stretches",
            "minutes",
        ],
        [
            [
                r.interpreter_id,
                r.interpreter,
                r.meeting_id,
                r.meeting_starts_at.replace(tzinfo=None),
                r.company,
                r.buyer,
                r.channel,
                r.stretches,
                r.minutes,
            ]
            for r in log.rows
        ],
        [14, 28, 12, 20, 30, 30, 10, 10, 12],
        {4: "yyyy-mm-dd hh:mm", 9: MINUTES_FORMAT},
    )
    _sheet(
        workbook,
        "Totals",
        ["interpreter id", "interpreter", "meetings", "minutes"],
        [[t.interpreter_id, t.interpreter, t.meetings, t.minutes] for t in log.totals]
        + [["", "all interpreters", "", log.total_minutes]],
        [14, 28, 10, 12],
        {4: MINUTES_FORMAT},
    )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
