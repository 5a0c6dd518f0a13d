"""The report as CSV (one long table) and as an XLSX workbook (one sheet per breakdown)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.reports.schemas import BREAKDOWNS, Figures, Report
from app.spreadsheets import clean, csv_text, keep_text

USD_FORMAT = '"US$"#,##0.00'
KRW_FORMAT = '"₩"#,##0'
COUNT_FORMAT = "#,##0"
RATE_FORMAT = "0.00%"

# (header, getter, number format): the same columns in the CSV and on every XLSX sheet.
COLUMNS: list[tuple[str, Any, str]] = [
    ("meetings", lambda f: f.meetings, COUNT_FORMAT),
    ("consultations", lambda f: f.consultations, COUNT_FORMAT),
    ("no_shows", lambda f: f.no_shows, COUNT_FORMAT),
    ("no_show_rate", lambda f: f.no_show_rate, RATE_FORMAT),
    ("companies", lambda f: f.companies, COUNT_FORMAT),
    ("buyers", lambda f: f.buyers, COUNT_FORMAT),
    ("interpreter_minutes", lambda f: f.interpreter_minutes, COUNT_FORMAT),
    ("consultation_value_usd", lambda f: f.consultation_value.usd, USD_FORMAT),
    ("consultation_value_krw", lambda f: f.consultation_value.krw, KRW_FORMAT),
    ("expected_contract_value_usd", lambda f: f.expected_contract_value.usd, USD_FORMAT),
    ("expected_contract_value_krw", lambda f: f.expected_contract_value.krw, KRW_FORMAT),
    ("onsite_contracts", lambda f: f.onsite_contracts.count, COUNT_FORMAT),
    ("onsite_contracts_usd", lambda f: f.onsite_contracts.value.usd, USD_FORMAT),
    ("onsite_contracts_krw", lambda f: f.onsite_contracts.value.krw, KRW_FORMAT),
    ("mous", lambda f: f.mous.count, COUNT_FORMAT),
    ("mous_usd", lambda f: f.mous.value.usd, USD_FORMAT),
    ("mous_krw", lambda f: f.mous.value.krw, KRW_FORMAT),
]
HEADERS = ["breakdown", "key", "label", "label_ko"] + [name for name, _, _ in COLUMNS]


def _values(figures: Figures) -> list[Any]:
    return [getter(figures) for _, getter, _ in COLUMNS]


def _rows(report: Report) -> Iterator[list[Any]]:
    yield ["summary", "", "All", "전체", *_values(report.summary)]
    for dimension in BREAKDOWNS:
        for row in report.breakdowns[dimension]:
            yield [dimension, row.key, row.label, row.label_ko, *_values(row.figures)]


def to_csv(report: Report) -> str:
    """Every figure, one row per summary or breakdown row; plain decimal numbers."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADERS)
    for row in _rows(report):
        writer.writerow(["" if value is None else csv_text(value) for value in row])
    return out.getvalue()


SHEET_TITLES = {
    "country": "By country",
    "city": "By city",
    "industry": "By industry",
    "company": "By company",
    "buyer": "By buyer",
    "day": "By day",
}
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")


def _append(sheet: Any, row: list[Any]) -> None:
    """Append a row of cleaned values whose text stays text (app/spreadsheets.py)."""
    values = [clean(value) for value in row]
    sheet.append(values)
    if values:
        keep_text(sheet[sheet.max_row][: len(values)], values)


def _cell_value(value: Any) -> Any:
    # openpyxl writes a Decimal as a number cell with its exact digits (never as text).
    return value


def _sheet(workbook: Workbook, title: str, first: list[str], rows: list[list[Any]]) -> None:
    sheet = workbook.create_sheet(title)
    headers = first + [name.replace("_", " ") for name, _, _ in COLUMNS]
    _append(sheet, headers)
    for cell in sheet[1]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in rows:
        _append(sheet, [_cell_value(value) for value in row])
    for index, (_, _, number_format) in enumerate(COLUMNS, start=len(first) + 1):
        for (cell,) in sheet.iter_rows(
            min_row=2, min_col=index, max_col=index, max_row=sheet.max_row
        ):
            cell.number_format = number_format
    for index in range(1, len(headers) + 1):
        width = 34 if index <= len(first) else 16
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = sheet.cell(row=2, column=len(first) + 1)
    sheet.auto_filter.ref = sheet.dimensions


def to_xlsx(report: Report) -> bytes:
    """A formatted workbook: Summary, one sheet per breakdown, Signed later, Missing rates
    (only when a KRW rate is missing), Press release."""
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])  # the default empty sheet
    names = " / ".join(mission.name for mission in report.missions)
    _sheet(workbook, "Summary", ["mission(s)"], [[names, *_values(report.summary)]])
    for dimension in BREAKDOWNS:
        _sheet(
            workbook,
            SHEET_TITLES[dimension],
            ["key", "label", "label ko"],
            [
                [row.key, row.label, row.label_ko, *_values(row.figures)]
                for row in report.breakdowns[dimension]
            ],
        )
    later = workbook.create_sheet("Signed later")
    _append(
        later,
        [
            "meeting",
            "company",
            "buyer",
            "buyer company",
            "signed on",
            "amount",
            "currency",
            "value usd",
            "value krw",
        ],
    )
    for cell in later[1]:
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    for contract in report.signed_later.contracts:
        _append(
            later,
            [
                contract.meeting_id,
                contract.company,
                contract.buyer,
                contract.buyer_company,
                contract.signed_on,
                contract.amount,
                contract.currency,
                contract.value.usd,
                contract.value.krw,
            ],
        )
        later.cell(row=later.max_row, column=5).number_format = "yyyy-mm-dd"
        later.cell(row=later.max_row, column=6).number_format = "#,##0.####"
        later.cell(row=later.max_row, column=8).number_format = USD_FORMAT
        later.cell(row=later.max_row, column=9).number_format = KRW_FORMAT
    _append(later, [])
    _append(
        later,
        [
            "total",
            report.signed_later.count,
            None,
            None,
            None,
            None,
            None,
            report.signed_later.value.usd,
            report.signed_later.value.krw,
        ],
    )
    later.cell(row=later.max_row, column=8).number_format = USD_FORMAT
    later.cell(row=later.max_row, column=9).number_format = KRW_FORMAT
    for index, width in enumerate([10, 30, 24, 30, 12, 18, 10, 18, 20], start=1):
        later.column_dimensions[get_column_letter(index)].width = width

    if report.missing_rates:
        # The KRW cells left blank above: which days need a KRW rate, and for which totals.
        missing = workbook.create_sheet("Missing rates")
        _append(missing, ["currency", "day", "meetings", "totals without a figure"])
        for cell in missing[1]:
            cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        for entry in report.missing_rates:
            _append(missing, [entry.currency, entry.on, entry.meetings, ", ".join(entry.totals)])
            missing.cell(row=missing.max_row, column=2).number_format = "yyyy-mm-dd"
        for index, width in enumerate([10, 12, 10, 60], start=1):
            missing.column_dimensions[get_column_letter(index)].width = width

    press = workbook.create_sheet("Press release")
    _append(press, ["English", report.press_release.en])
    _append(press, ["한국어", report.press_release.ko])
    _append(press, ["As of", report.as_of])
    press.cell(row=3, column=2).number_format = "yyyy-mm-dd"
    press.column_dimensions["A"].width = 10
    press.column_dimensions["B"].width = 120
    for row in press.iter_rows(min_row=1, max_row=2, min_col=2, max_col=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
