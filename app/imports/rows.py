"""Reading a meetings file's rows: each cell read and matched to the mission's records."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.imports.cells import (
    CellError,
    name_key,
    read_date,
    read_decimal,
    read_instant,
    read_interest,
    read_key,
    read_minutes,
    read_status,
    read_time,
)
from app.imports.columns import (
    AMOUNT_FIELDS,
    MAX_ROWS,
    MEETING_FIELDS,
    OUTCOME_FIELDS,
    TEXT_FIELDS,
    TEXT_LIMITS,
    read_heading,
)
from app.imports.context import Context
from app.imports.plan import Row
from app.imports.tables import Cell, ImportFileError, blank, text
from app.meetings.schemas import MAX_MEETING
from app.missions.models import Mission
from app.money.currencies import AmountError, is_currency, parse_amount

# -- reading the rows -------------------------------------------------------------------------


def _columns(heading: list[Cell]) -> tuple[dict[int, str], dict[str, str], list[str]]:
    """Which column holds which field, the currency named by amount headings, unknown ones."""
    columns: dict[int, str] = {}
    currencies: dict[str, str] = {}
    unknown: list[str] = []
    for index, cell in enumerate(heading):
        name, currency = read_heading(cell)
        if name is None:
            if text(cell):
                unknown.append(text(cell))
        elif name not in columns.values():
            columns[index] = name
            if currency:
                currencies[name] = currency
    present = set(columns.values())
    missing = [name for name in ("company", "start") if name not in present]
    if "buyer_company" not in present and "buyer" not in present:
        missing.append("buyer_company")
    if missing:
        raise ImportFileError("import.file.missing_columns", columns=", ".join(missing))
    if len(set(currencies.values())) > 1:
        raise ImportFileError(
            "import.meetings.file.mixed_currencies", columns=", ".join(sorted(currencies))
        )
    return columns, currencies, unknown


def _natural_key(row: Row) -> str:
    """The key of a row without one: its company, buyer, date and start, folded and hashed
    (so that it fits the keys' column and reads the same from CSV and XLSX)."""
    parts = [name_key(row.text(name)) for name in ("company", "buyer_company", "buyer")]
    digest = hashlib.sha256("|".join([*parts, row.text("date"), row.text("start")]).encode())
    return f"~{digest.hexdigest()[:24]}"


def _group(rows: list[Row], has_key_column: bool) -> dict[str, list[Row]]:
    """Rows by meeting key, in file order; later rows take the first's blank meeting cells."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        try:
            row.key = read_key(row.cells.get("key")) if has_key_column else ""
        except CellError as exc:
            row.problem("key", exc.code, **exc.params)
        if not row.key:
            row.key = _natural_key(row)
        groups.setdefault(row.key.casefold(), []).append(row)
    for group in groups.values():
        first = group[0]
        for later in group[1:]:
            for name in MEETING_FIELDS:
                if not later.text(name) and first.text(name):
                    later.inherit(name, first)
    return groups


def _buyer(row: Row, context: Context) -> None:
    company_name, person = row.text("buyer_company"), row.text("buyer")
    field_name = "buyer_company" if company_name else "buyer"
    if not company_name and not person:
        row.problem(field_name, "missing")
        return
    if company_name and person:
        found = [
            b for b in context.buyers_by_company.get(name_key(company_name), [])
            if name_key(b.name) == name_key(person)
        ]
        if not found:  # the person's name may be missing from the records: the company decides
            found = context.buyers_by_company.get(name_key(company_name), [])
    elif company_name:
        found = context.buyers_by_company.get(name_key(company_name), [])
    else:  # a "buyer" column holds a person's or a company's name
        by_name = context.buyers_by_name.get(name_key(person), [])
        found = by_name or context.buyers_by_company.get(name_key(person), [])
    shown = " / ".join(filter(None, (company_name, person)))
    if not found:
        row.problem(field_name, "buyer_unknown", value=shown)
    elif len(found) > 1:
        names = ", ".join(sorted(f"{b.company_name} ({b.name})" for b in found))
        row.problem(field_name, "buyer_ambiguous", value=shown, candidates=names)
    else:
        row.buyer_id = found[0].id


def _company(row: Row, context: Context) -> None:
    value = row.text("company")
    if not value:
        row.problem("company", "missing")
        return
    found = context.companies.get(name_key(value), [])
    if not found:
        row.problem("company", "company_unknown", value=value)
    elif len(found) > 1:
        row.problem("company", "company_ambiguous", value=value)
    else:
        row.company_id = found[0].id


def _interpreter(row: Row, context: Context) -> None:
    value = row.text("interpreter")
    if not value:
        return
    found = context.interpreters.get(name_key(value), [])
    if len(found) != 1:
        row.problem("interpreter", "interpreter_unknown", value=value)
    else:
        row.interpreter_id = found[0].id


def _times(row: Row, mission: Mission) -> None:
    """The row's start and end: a wall-clock date and time in the mission's zone, or a start
    with its UTC offset ("2024-06-10T09:00:00+05:00"); the end from an end time, minutes, or
    (left None) the slot's or the meeting's own length."""
    zone = ZoneInfo(mission.timezone)
    day: date | None = None
    if row.text("date"):
        try:
            day = read_date(row.cells["date"])
        except CellError as exc:
            row.problem("date", exc.code, **exc.params)
            return
    if not row.text("start"):
        row.problem("start", "missing")
        return
    if (instant := read_instant(row.cells["start"])) is not None:
        row.starts_at = instant.astimezone(UTC)
        day = instant.astimezone(zone).date()
    else:
        try:
            start, day_in_start = read_time(row.cells["start"])
        except CellError as exc:
            row.problem("start", exc.code, **exc.params)
            return
        day = day or day_in_start
        if day is None:
            row.problem("date", "missing")
            return
        row.starts_at = datetime.combine(day, start, zone).astimezone(UTC)
    if row.text("end"):
        try:
            if (end_instant := read_instant(row.cells["end"])) is not None:
                row.ends_at = end_instant.astimezone(UTC)
            else:
                end, _ = read_time(row.cells["end"])
                row.ends_at = datetime.combine(day, end, zone).astimezone(UTC)
        except CellError as exc:
            row.problem("end", exc.code, **exc.params)
            return
        if row.ends_at <= row.starts_at:
            row.problem("end", "end_before_start", value=row.text("end"))
    elif row.text("minutes"):
        try:
            row.ends_at = row.starts_at + timedelta(minutes=read_minutes(row.cells["minutes"]))
        except CellError as exc:
            row.problem("minutes", exc.code, **exc.params)
    if row.ends_at is not None and row.ends_at - row.starts_at > MAX_MEETING:
        row.problem("end", "too_long", hours=int(MAX_MEETING.total_seconds() // 3600))


def check_in_mission(row: Row, mission: Mission, starts_at: datetime, ends_at: datetime) -> None:
    zone = ZoneInfo(mission.timezone)
    first = starts_at.astimezone(zone).date()
    last = (ends_at - timedelta(microseconds=1)).astimezone(zone).date()
    if first < mission.start_date or last > mission.end_date:
        row.problem(
            "date",
            "outside_mission",
            value=first.isoformat(),
            start=mission.start_date.isoformat(),
            end=mission.end_date.isoformat(),
        )


def _outcome_cells(row: Row, default_currency: str, heading_currency: str | None) -> None:
    """Read the row's outcome cells (currency, amounts, interest, texts) if any is filled."""
    filled = [name for name in OUTCOME_FIELDS if row.text(name)]
    currency = row.text("currency").upper()
    if currency and not is_currency(currency):
        row.problem("currency", "currency_invalid", value=row.text("currency"))
        currency = ""
    elif currency and heading_currency and currency != heading_currency:
        row.problem("currency", "currency_differs", value=currency, heading=heading_currency)
    row.currency = currency or heading_currency or default_currency
    for name in ("reason", *TEXT_FIELDS):
        if len(row.text(name)) > TEXT_LIMITS[name]:
            row.problem(name, "too_long_text", limit=TEXT_LIMITS[name])
    row.reason = row.text("reason")[: TEXT_LIMITS["reason"]]
    if not filled:
        return
    outcome: dict[str, Any] = {}
    for name in AMOUNT_FIELDS:
        if not row.text(name):
            continue
        try:
            outcome[name] = parse_amount(read_decimal(row.cells[name]), row.currency)
        except CellError as exc:
            row.problem(name, exc.code, **exc.params)
        except AmountError as exc:
            row.problem(name, "amount_invalid", value=row.text(name), detail=str(exc))
    if row.text("interest_level"):
        try:
            outcome["interest_level"] = read_interest(row.cells["interest_level"])
        except CellError as exc:
            row.problem("interest_level", exc.code, **exc.params)
    for name in TEXT_FIELDS:
        if row.text(name):
            outcome[name] = row.text(name)[: TEXT_LIMITS[name]]
    row.outcome = outcome


def read_rows(
    cells: list[list[Cell]], context: Context
) -> tuple[list[Row], dict[str, list[Row]], list[str], list[str]]:
    """Every data row read and matched to the mission's records (problems noted on each)."""
    lines = [(number, row) for number, row in enumerate(cells, start=1) if not blank(row)]
    if len(lines) < 2:
        raise ImportFileError("import.file.no_rows")
    if len(lines) - 1 > MAX_ROWS:
        raise ImportFileError("import.file.too_many_rows", limit=MAX_ROWS)
    (_, heading), data = lines[0], lines[1:]
    columns, heading_currencies, unknown = _columns(heading)
    heading_currency = next(iter(heading_currencies.values()), None)
    rows = [
        Row(line=number, cells={name: row[i] if i < len(row) else None
                                for i, name in columns.items()})
        for number, row in data
    ]  # fmt: skip
    groups = _group(rows, "key" in columns.values())
    mission = context.mission
    for row in rows:
        _company(row, context)
        _buyer(row, context)
        _interpreter(row, context)
        _times(row, mission)
        if row.text("status"):
            try:
                row.status = read_status(row.cells["status"])
            except CellError as exc:
                row.problem("status", exc.code, **exc.params)
        _outcome_cells(row, mission.currency, heading_currency)
    return rows, groups, list(columns.values()), unknown
