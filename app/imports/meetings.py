"""Import of meetings and their outcomes from a spreadsheet: read, check every row, plan.

One row is one meeting (company, buyer, day and time, held or no-show) with, optionally, its
outcome in the report's fields and the row's currency. The plan says what confirming would
do to each meeting (create, update, leave) and to its outcome (new versions, unchanged), or
names every bad row and field; nothing is written here (app/imports/apply.py writes a plan).

Rules (docs/reports.md, "Importing meetings and outcomes"):
- A meeting is found again by its key (the "key" column; without one, company + buyer + start
  time), so importing the same file twice changes nothing.
- Several rows with one key are successive versions of its outcome (corrections), oldest
  first; later rows may leave the meeting's cells blank.
- A blank status means held for a new meeting; an existing meeting keeps its status unless
  the row carries outcome values (then it was held). An outcome needs a held meeting.
- A blank cell leaves what is recorded; a column the file lacks too.
- A new outcome version is written only when a value differs from the current version.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.imports.cells import (
    CellError,
    name_key,
    read_date,
    read_decimal,
    read_interest,
    read_key,
    read_minutes,
    read_status,
    read_time,
)
from app.imports.models import MeetingKey
from app.imports.tables import Cell, ImportFileError, blank, text
from app.meetings.models import Meeting, MeetingStatus
from app.meetings.schemas import MAX_MEETING
from app.missions.models import Mission, MissionStatus
from app.money.currencies import AmountError, is_currency, parse_amount, to_minor
from app.money.models import ExchangeRate
from app.money.rates import RateTable
from app.money.schemas import Conversion
from app.outcomes.models import InterestLevel, Outcome, OutcomeVersion
from app.participants.models import Buyer, Company, Interpreter

MAX_BYTES = 4_000_000
MAX_ROWS = 20_000

# Column headings accepted for each field, in English and Korean; matched folded (case,
# spaces, punctuation and a bracketed suffix such as "(USD)" ignored), see `_heading`.
HEADINGS: dict[str, tuple[str, ...]] = {
    "key": ("key", "meeting key", "meeting no", "no", "number", "#", "상담번호", "번호", "순번",
            "연번", "관리번호"),
    "company": ("company", "company name", "korean company", "참가기업", "참가기업명", "기업명",
                "회사명", "업체명", "참가업체", "기업"),
    "buyer_company": ("buyer company", "buyer company name", "바이어사", "바이어 회사",
                      "바이어 회사명", "바이어기업", "바이어 기업명", "바이어업체"),
    "buyer": ("buyer", "buyer name", "buyer contact", "바이어", "바이어명", "바이어 담당자"),
    "interpreter": ("interpreter", "통역", "통역사", "통역원"),
    "date": ("date", "day", "meeting date", "날짜", "일자", "상담일", "상담일자", "상담 날짜"),
    "start": ("start", "starts", "start time", "starts at", "time", "시작", "시작시간", "시작 시각",
              "상담시간", "시간"),
    "end": ("end", "ends", "end time", "ends at", "종료", "종료시간", "종료 시각"),
    "minutes": ("minutes", "duration", "length", "분", "소요시간", "상담시간(분)"),
    "status": ("status", "held", "attendance", "상태", "진행여부", "참석여부", "상담여부",
               "진행상태"),
    "currency": ("currency", "통화", "화폐", "통화단위"),
    "consultation_value": ("consultation value", "consultation", "value", "상담액", "상담금액",
                           "상담 금액"),
    "expected_contract_value": ("expected contract value", "expected contracts", "expected",
                                "pipeline", "계약추진액", "계약 추진액", "계약예상액",
                                "향후 계약 예상액", "향후계약예상액"),
    "onsite_contract_amount": ("on-site contract", "onsite contract", "on-site contract amount",
                               "onsite contract amount", "contract", "contract amount", "현장계약",
                               "현장계약액", "현장 계약액", "현장계약금액", "계약액"),
    "mou_amount": ("mou", "mou amount", "mou value", "mou액", "mou 금액", "업무협약",
                   "업무협약액", "mou체결액"),
    "interest_level": ("interest", "interest level", "관심도", "관심", "구매관심도"),
    "samples": ("samples", "샘플"),
    "next_steps": ("next steps", "follow-up", "후속조치", "향후계획", "후속 조치"),
    "notes": ("notes", "note", "memo", "remarks", "비고", "메모", "특이사항"),
    "reason": ("reason", "correction reason", "reason for change", "수정사유", "정정사유",
               "변경사유"),
}
AMOUNT_FIELDS = (
    "consultation_value",
    "expected_contract_value",
    "onsite_contract_amount",
    "mou_amount",
)
TEXT_FIELDS = ("samples", "next_steps", "notes")
OUTCOME_FIELDS = (*AMOUNT_FIELDS, "interest_level", *TEXT_FIELDS)
# What identifies the meeting of a row; later rows of a key may leave these blank.
MEETING_FIELDS = ("company", "buyer_company", "buyer", "date", "start", "end", "minutes")
# The order of the template's columns.
TEMPLATE_FIELDS = (
    "key", "company", "buyer_company", "buyer", "interpreter", "date", "start", "end", "status",
    "currency", *AMOUNT_FIELDS, "interest_level", "samples", "next_steps", "notes", "reason",
)  # fmt: skip
TEXT_LIMITS = {"samples": 5000, "next_steps": 5000, "notes": 20000, "reason": 2000}
_BRACKETED = re.compile(r"\s*[(\[]\s*([^)\]]*)\s*[)\]]\s*$")
_PLATFORM_KEY = re.compile(r"TB-(\d{1,12})", re.IGNORECASE)


def _fold_heading(value: str) -> str:
    return "".join(c for c in value.casefold() if c.isalnum())


_HEADING_INDEX = {_fold_heading(h): name for name, hs in HEADINGS.items() for h in hs}


def _heading(cell: Cell) -> tuple[str | None, str | None]:
    """(field, currency named in brackets) of a heading cell: "상담액(USD)" -> (value, USD)."""
    raw = text(cell)
    found = _HEADING_INDEX.get(_fold_heading(raw))
    if found is not None:
        return found, None
    bracket = _BRACKETED.search(raw)
    if bracket is None:
        return None, None
    name = _HEADING_INDEX.get(_fold_heading(raw[: bracket.start()]))
    code = bracket[1].strip().upper()
    if name in AMOUNT_FIELDS and is_currency(code):
        return name, code
    return name, None


# -- problems and results ---------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a row: its field ("" = the row) and catalogue code with values."""

    field: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"import.meetings.error.{self.code}"


@dataclass(frozen=True)
class OutcomeValues:
    """What one outcome version says, in the currency's minor units (compared for changes)."""

    currency: str
    consultation_value_minor: int
    expected_contract_value_minor: int
    onsite_contract_minor: int | None
    mou_minor: int | None
    interest_level: InterestLevel
    samples: str
    next_steps: str
    notes: str

    @classmethod
    def of(cls, row: OutcomeVersion) -> OutcomeValues:
        return cls(
            currency=row.currency,
            consultation_value_minor=row.consultation_value_minor,
            expected_contract_value_minor=row.expected_contract_value_minor,
            onsite_contract_minor=row.onsite_contract_minor,
            mou_minor=row.mou_minor,
            interest_level=InterestLevel(row.interest_level),
            samples=row.samples,
            next_steps=row.next_steps,
            notes=row.notes,
        )

    def plain(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass
class Row:
    """One line of the file: its cells by field, what they say, and what is wrong."""

    line: int  # the row's number in the sheet (the heading is line 1)
    cells: dict[str, Cell]
    key: str = ""
    problems: list[Problem] = field(default_factory=list)
    company_id: int | None = None
    buyer_id: int | None = None
    interpreter_id: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None  # None: the slot's or the meeting's own length
    status: MeetingStatus | None = None  # None: blank
    outcome: dict[str, Any] | None = None  # the outcome cells read, when any is filled
    currency: str = ""
    reason: str = ""
    action: str = ""  # create, update, unchanged (of the meeting)
    outcome_action: str = ""  # version, unchanged, "" (no outcome on the row)

    texts: dict[str, str] = field(default_factory=dict)  # each cell as text, read once

    def __post_init__(self) -> None:
        self.texts = {name: text(cell) for name, cell in self.cells.items()}

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self, name: str) -> str:
        return self.texts.get(name, "")

    def inherit(self, name: str, other: Row) -> None:
        self.cells[name], self.texts[name] = other.cells[name], other.texts[name]

    def problem(self, field_name: str, code: str, /, **params: Any) -> None:
        self.problems.append(Problem(field_name, code, params))


@dataclass(frozen=True)
class NewVersion:
    line: int
    values: OutcomeValues
    conversion: Conversion
    reason: str


@dataclass
class MeetingChange:
    """What confirming does to one meeting: its fields, key and new outcome versions."""

    key: str
    lines: list[int]
    meeting_id: int | None  # None: created
    fields: dict[str, Any]  # company_id, buyer_id, interpreter_id, starts_at, ends_at, status
    before: dict[str, Any]  # the fields that change, as they were (update)
    register_key: bool
    current_version: int | None
    current_values: OutcomeValues | None
    versions: list[NewVersion]
    is_new: bool = False  # planned as a new meeting (its id is set once written)
    bad: bool = False  # one of its rows has a problem: left out of the counts

    def __post_init__(self) -> None:
        self.is_new = self.is_new or self.meeting_id is None

    @property
    def action(self) -> str:
        if self.is_new:
            return "create"
        return "update" if self.before or self.register_key else "unchanged"


@dataclass
class Plan:
    mission_id: int
    rows: list[Row]
    changes: list[MeetingChange]
    columns: list[str]
    unknown_headings: list[str]

    @property
    def bad(self) -> list[Row]:
        return [row for row in self.rows if not row.ok]

    @property
    def ok(self) -> bool:
        return not self.bad

    def counts(self) -> dict[str, int]:
        """What confirming writes, from the meetings whose rows are all good."""
        good = [change for change in self.changes if not change.bad]
        actions = [change.action for change in good]
        statuses = [change.fields["status"] for change in good]
        return {
            "rows": len(self.rows),
            "bad_rows": len(self.bad),
            "meetings": len(good),
            "meetings_created": actions.count("create"),
            "meetings_updated": actions.count("update"),
            "meetings_unchanged": actions.count("unchanged"),
            "held": statuses.count(MeetingStatus.COMPLETED),
            "no_shows": statuses.count(MeetingStatus.NO_SHOW),
            "outcome_versions": sum(len(change.versions) for change in good),
            "outcomes_changed": sum(1 for change in good if change.versions),
        }

    @property
    def changes_anything(self) -> bool:
        return any(c.action != "unchanged" or c.versions for c in self.changes)

    def digest(self) -> str:
        """A fingerprint of what confirming would write, given the records it was planned on:
        confirming a preview whose records changed meanwhile is refused (409)."""
        plain = [
            [
                change.key,
                change.meeting_id,
                {k: _plain(v) for k, v in sorted(change.fields.items())},
                sorted(change.before),
                change.register_key,
                change.current_version,
                [_plain(version.values.plain()) | {"r": version.reason} for version in
                 change.versions],
            ]
            for change in self.changes
        ]
        encoded = json.dumps(plain, sort_keys=True, default=str).encode()
        return hashlib.sha256(encoded).hexdigest()[:32]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value.value if hasattr(value, "value") else value


# -- what the mission holds ------------------------------------------------------------------


@dataclass(frozen=True)
class Held:
    """A meeting as it stands: what it holds, and when."""

    id: int
    company_id: int
    buyer_id: int
    interpreter_id: int | None
    partner_interpreter_id: int | None
    company_venue_id: int | None
    buyer_venue_id: int | None
    starts_at: datetime
    ends_at: datetime
    status: MeetingStatus

    def resources(self) -> list[tuple[str, int]]:
        held = [("company", self.company_id), ("buyer", self.buyer_id)]
        held += [("interpreter", i) for i in {self.interpreter_id, self.partner_interpreter_id}
                 if i is not None]
        held += [("venue", v) for v in {self.company_venue_id, self.buyer_venue_id}
                 if v is not None]
        return held


@dataclass
class Context:
    """The mission's records the file is checked against."""

    mission: Mission
    companies: dict[str, list[Company]]
    buyers: list[Buyer]
    interpreters: dict[str, list[Interpreter]]
    meetings: dict[int, Held]
    keys: dict[str, int]  # key (folded) -> meeting id
    outcomes: dict[int, tuple[int, OutcomeValues]]  # meeting id -> (version, current values)
    rates: RateTable
    buyers_by_company: dict[str, list[Buyer]] = field(default_factory=dict)
    buyers_by_name: dict[str, list[Buyer]] = field(default_factory=dict)
    keyed: set[int] = field(default_factory=set)  # meetings that have a key
    # Meetings without a key by (company, buyer, start): a row without a key finds them.
    unkeyed_slots: dict[tuple[int, int, datetime], list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for buyer in self.buyers:
            self.buyers_by_company.setdefault(name_key(buyer.company_name), []).append(buyer)
            self.buyers_by_name.setdefault(name_key(buyer.name), []).append(buyer)
        self.keyed = set(self.keys.values())
        for meeting in self.meetings.values():
            if meeting.id not in self.keyed:
                slot = (meeting.company_id, meeting.buyer_id, meeting.starts_at)
                self.unkeyed_slots.setdefault(slot, []).append(meeting.id)


async def load_context(*, session: AsyncSession, mission: Mission) -> Context:
    """Everything a plan needs, in a handful of queries (a 10,000-row file reads no more)."""
    mission_id = mission.id
    companies: dict[str, list[Company]] = defaultdict(list)
    for company in await session.scalars(select(Company).where(Company.mission_id == mission_id)):
        companies[name_key(company.name)].append(company)
    buyers = list(await session.scalars(select(Buyer).where(Buyer.mission_id == mission_id)))
    interpreters: dict[str, list[Interpreter]] = defaultdict(list)
    for interpreter in await session.scalars(
        select(Interpreter).where(Interpreter.mission_id == mission_id)
    ):
        interpreters[name_key(interpreter.name)].append(interpreter)
    meetings = {
        row.id: Held(**row._asdict())
        for row in await session.execute(
            select(
                Meeting.id, Meeting.company_id, Meeting.buyer_id, Meeting.interpreter_id,
                Meeting.partner_interpreter_id, Meeting.company_venue_id, Meeting.buyer_venue_id,
                Meeting.starts_at, Meeting.ends_at, Meeting.status,
            ).where(Meeting.mission_id == mission_id)
        )
    }  # fmt: skip
    keys = {
        key.casefold(): meeting_id
        for key, meeting_id in await session.execute(
            select(MeetingKey.key, MeetingKey.meeting_id).where(MeetingKey.mission_id == mission_id)
        )
    }
    outcomes = {
        version.meeting_id: (head_version, OutcomeValues.of(version))
        for version, head_version in await session.execute(
            select(OutcomeVersion, Outcome.version)
            .join(Outcome, Outcome.current_version_id == OutcomeVersion.id)
            .where(Outcome.mission_id == mission_id)
        )
    }
    rates = RateTable(
        await session.scalars(select(ExchangeRate).where(ExchangeRate.mission_id == mission_id))
    )
    return Context(mission, dict(companies), buyers, dict(interpreters), meetings, keys, outcomes,
                   rates)


# -- reading the rows -------------------------------------------------------------------------


def _columns(heading: list[Cell]) -> tuple[dict[int, str], dict[str, str], list[str]]:
    """Which column holds which field, the currency named by amount headings, unknown ones."""
    columns: dict[int, str] = {}
    currencies: dict[str, str] = {}
    unknown: list[str] = []
    for index, cell in enumerate(heading):
        name, currency = _heading(cell)
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
    zone = ZoneInfo(mission.timezone)
    day: date | None = None
    start: time | None = None
    if row.text("date"):
        try:
            day = read_date(row.cells["date"])
        except CellError as exc:
            row.problem("date", exc.code, **exc.params)
            return
    if not row.text("start"):
        row.problem("start", "missing")
        return
    try:
        start, day_in_start = read_time(row.cells["start"])
    except CellError as exc:
        row.problem("start", exc.code, **exc.params)
        return
    day = day or day_in_start
    if day is None:
        row.problem("date", "missing")
        return
    row.starts_at = datetime.combine(day, start, zone).astimezone(ZoneInfo("UTC"))
    if row.text("end"):
        try:
            end, _ = read_time(row.cells["end"])
        except CellError as exc:
            row.problem("end", exc.code, **exc.params)
            return
        row.ends_at = datetime.combine(day, end, zone).astimezone(ZoneInfo("UTC"))
        if row.ends_at <= row.starts_at:
            row.problem("end", "end_before_start", value=row.text("end"))
    elif row.text("minutes"):
        try:
            row.ends_at = row.starts_at + timedelta(minutes=read_minutes(row.cells["minutes"]))
        except CellError as exc:
            row.problem("minutes", exc.code, **exc.params)
    if row.ends_at is not None and row.ends_at - row.starts_at > MAX_MEETING:
        row.problem("end", "too_long", hours=int(MAX_MEETING.total_seconds() // 3600))


def _in_mission(row: Row, mission: Mission, starts_at: datetime, ends_at: datetime) -> None:
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


# -- the plan ---------------------------------------------------------------------------------


def _target(first: Row, context: Context, claimed: dict[int, int]) -> int | None:
    """The existing meeting a key names: its own key, a "TB-<id>" of the platform's, or an
    unkeyed meeting with the same company, buyer and start."""
    if (found := context.keys.get(first.key.casefold())) is not None:
        return found
    platform = _PLATFORM_KEY.fullmatch(first.key)
    if platform and int(platform[1]) in context.meetings and int(platform[1]) not in context.keyed:
        return int(platform[1])
    if first.company_id and first.buyer_id and first.starts_at:
        slot = (first.company_id, first.buyer_id, first.starts_at)
        for meeting_id in context.unkeyed_slots.get(slot, []):
            if meeting_id not in claimed:
                return meeting_id
    return None


def _same_meeting(first: Row, later: Row) -> list[str]:
    """The meeting cells of a later row of a key that name another meeting than its first."""
    differ = []
    if later.company_id != first.company_id:
        differ.append("company")
    if later.buyer_id != first.buyer_id:
        differ.append("buyer_company" if later.text("buyer_company") else "buyer")
    if later.starts_at != first.starts_at:
        differ.append("start")
    return differ


def _values(row: Row, base: OutcomeValues | None, columns: set[str]) -> OutcomeValues:
    """The version a row states: its cells; what the file has no column for stays as `base`
    says (or the default: 0, none, blank)."""
    outcome = row.outcome or {}
    currency = row.currency

    def minor(name: str, base_value: int | None, default: int | None) -> int | None:
        if name in outcome:
            return to_minor(outcome[name], currency)
        if name in columns or base is None or base.currency != currency:
            return default
        return base_value

    def keep(name: str, base_value: Any, default: Any) -> Any:
        if name in outcome:
            return outcome[name]
        return default if name in columns or base is None else base_value

    return OutcomeValues(
        currency=currency,
        consultation_value_minor=minor(
            "consultation_value", base and base.consultation_value_minor, 0
        ) or 0,
        expected_contract_value_minor=minor(
            "expected_contract_value", base and base.expected_contract_value_minor, 0
        ) or 0,
        onsite_contract_minor=minor(
            "onsite_contract_amount", base and base.onsite_contract_minor, None
        ),
        mou_minor=minor("mou_amount", base and base.mou_minor, None),
        interest_level=keep(
            "interest_level", base and base.interest_level, InterestLevel.NONE
        ),
        samples=keep("samples", base and base.samples, ""),
        next_steps=keep("next_steps", base and base.next_steps, ""),
        notes=keep("notes", base and base.notes, ""),
    )


def _versions(
    outcome_rows: list[Row], current: OutcomeValues | None, columns: set[str]
) -> list[tuple[Row, OutcomeValues]]:
    """The versions to append: the file's rows of the key after the last one that equals the
    current version (all of them if none does and there is no outcome yet; else the last
    one), leaving out any equal to the version before it."""
    stated: list[tuple[Row, OutcomeValues]] = []
    base = current
    for row in outcome_rows:
        values = _values(row, base, columns)
        stated.append((row, values))
        base = values
    if current is not None:
        same = [i for i, (_, values) in enumerate(stated) if values == current]
        stated = stated[same[-1] + 1:] if same else stated[-1:]
    appended: list[tuple[Row, OutcomeValues]] = []
    previous = current
    for row, values in stated:
        if values != previous:
            appended.append((row, values))
            previous = values
    return appended


def build_plan(
    *, cells: list[list[Cell]], context: Context, reason: str = "", now: datetime
) -> Plan:
    """Check every row against the mission and say what confirming would write."""
    rows, groups, columns, unknown = read_rows(cells, context)
    present = set(columns)
    mission = context.mission
    zone = ZoneInfo(mission.timezone)
    changes: list[MeetingChange] = []
    claimed: dict[int, int] = {}  # existing meeting id -> the line that first named it
    group_of: dict[int, list[Row]] = {}  # id(change) -> rows
    for group in groups.values():
        first = group[0]
        for later in group[1:]:
            for name in _same_meeting(first, later):
                later.problem(name, "key_other_meeting", meeting_key=later.key, line=first.line)
        if not all(row.company_id and row.buyer_id and row.starts_at for row in group):
            continue  # the rows already say what is missing
        meeting_id = _target(first, context, claimed)
        if meeting_id is not None and meeting_id in claimed:
            first.problem("key", "meeting_twice", line=claimed[meeting_id])
            continue
        existing = context.meetings.get(meeting_id) if meeting_id is not None else None
        last = group[-1]
        has_outcome = any(row.outcome is not None for row in group)
        status = last.status or (
            MeetingStatus.COMPLETED
            if existing is None or has_outcome
            else existing.status
        )
        assert first.starts_at is not None
        if last.ends_at is not None:
            ends_at = last.ends_at
        elif existing is not None:
            ends_at = first.starts_at + (existing.ends_at - existing.starts_at)
        else:
            ends_at = first.starts_at + timedelta(minutes=mission.slot_minutes)
        fields: dict[str, Any] = {
            "company_id": first.company_id,
            "buyer_id": first.buyer_id,
            "interpreter_id": last.interpreter_id
            if last.interpreter_id is not None or existing is None
            else existing.interpreter_id,
            "starts_at": first.starts_at,
            "ends_at": ends_at,
            "status": status,
        }
        _in_mission(first, mission, first.starts_at, ends_at)
        marked = existing is None or existing.status is not status
        if status in (MeetingStatus.COMPLETED, MeetingStatus.NO_SHOW) and marked and (
            first.starts_at > now
        ):  # held or no-show is said of a meeting that has started (app/meetings/attendance.py)
            first.problem("status", "not_started", status=status.value,
                          value=first.starts_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"))
        before = {}
        if existing is not None:
            claimed[existing.id] = first.line
            before = {
                name: getattr(existing, name)
                for name, value in fields.items()
                if getattr(existing, name) != value
            }
        # Outcomes: only for a held meeting, each version with the rates of its day.
        outcome_rows = [row for row in group if row.outcome is not None]
        if outcome_rows and status is not MeetingStatus.COMPLETED:
            for row in outcome_rows:
                row.problem("status", "outcome_not_held", status=status.value)
        current_version, current_values = (None, None)
        if meeting_id is not None and meeting_id in context.outcomes:
            current_version, current_values = context.outcomes[meeting_id]
        versions: list[NewVersion] = []
        day = first.starts_at.astimezone(zone).date()
        for row, values in _versions(outcome_rows, current_values, present):
            conversion = context.rates.conversion(values.currency, day)
            if conversion is None:
                row.problem("currency", "rate_missing", currency=values.currency,
                            value=day.isoformat())
                continue
            why = row.reason or reason
            if mission.status is MissionStatus.CLOSED and not why.strip():
                row.problem("reason", "reason_required")
            versions.append(NewVersion(row.line, values, conversion, why))
        change = MeetingChange(
            key=first.key,
            lines=[row.line for row in group],
            meeting_id=meeting_id,
            fields=fields,
            before=before,
            register_key=meeting_id is None or first.key.casefold() not in context.keys,
            current_version=current_version,
            current_values=current_values,
            versions=versions,
        )
        changes.append(change)
        group_of[id(change)] = group
        versioned = {version.line for version in versions}
        for row in group:
            row.action = change.action
            row.outcome_action = (
                "version" if row.line in versioned else "unchanged" if row.outcome else ""
            )
    _clashes(changes, group_of, context)
    for change in changes:
        change.bad = not all(row.ok for row in group_of[id(change)])
    return Plan(mission.id, rows, changes, columns, unknown)


def _clashes(
    changes: Sequence[MeetingChange], group_of: dict[int, list[Row]], context: Context
) -> None:
    """Note on the file's rows every person or booth in two meetings at once, after import:
    the file's meetings as planned and the mission's others as they are (cancelled ones hold
    nothing). Slots are half-open: 10:00-10:30 and 10:30-11:00 do not clash."""
    by_meeting = {change.meeting_id: change for change in changes if change.meeting_id}
    intervals: dict[tuple[str, int], list[tuple[datetime, datetime, MeetingChange | Held]]] = (
        defaultdict(list)
    )
    for held in context.meetings.values():
        if held.id in by_meeting or held.status is MeetingStatus.CANCELLED:
            continue
        for resource in held.resources():
            intervals[resource].append((held.starts_at, held.ends_at, held))
    for change in changes:
        f = change.fields
        if f["status"] is MeetingStatus.CANCELLED:
            continue
        existing = context.meetings.get(change.meeting_id) if change.meeting_id else None
        planned = Held(
            id=change.meeting_id or 0,
            company_id=f["company_id"],
            buyer_id=f["buyer_id"],
            interpreter_id=f["interpreter_id"],
            partner_interpreter_id=existing.partner_interpreter_id if existing else None,
            company_venue_id=existing.company_venue_id if existing else None,
            buyer_venue_id=existing.buyer_venue_id if existing else None,
            starts_at=f["starts_at"],
            ends_at=f["ends_at"],
            status=f["status"],
        )
        for resource in planned.resources():
            intervals[resource].append((f["starts_at"], f["ends_at"], change))
    for (kind, resource_id), spans in intervals.items():
        if len(spans) < 2:
            continue
        spans.sort(key=lambda span: (span[0], span[1]))
        latest_end, holder = spans[0][1], spans[0][2]
        for starts_at, ends_at, who in spans[1:]:
            if starts_at < latest_end:
                _note_clash(who, holder, kind, resource_id, group_of, context)
                _note_clash(holder, who, kind, resource_id, group_of, context)
            if ends_at > latest_end:
                latest_end, holder = ends_at, who


def _note_clash(
    who: MeetingChange | Held,
    other: MeetingChange | Held,
    kind: str,
    resource_id: int,
    group_of: dict[int, list[Row]],
    context: Context,
) -> None:
    if not isinstance(who, MeetingChange):
        return
    first = group_of[id(who)][0]
    if any(p.code.startswith("clash_") for p in first.problems):
        return  # one clash named per row is enough to fix it
    zone = ZoneInfo(context.mission.timezone)
    if isinstance(other, MeetingChange):
        with_what = {"line": group_of[id(other)][0].line}
        starts = other.fields["starts_at"]
    else:
        with_what = {"meeting": other.id}
        starts = other.starts_at
    first.problem(
        "start",
        "clash_line" if "line" in with_what else "clash_meeting",
        resource=kind,
        name=_resource_name(kind, resource_id, context),
        at=starts.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        **with_what,
    )


def _resource_name(kind: str, resource_id: int, context: Context) -> str:
    if kind == "company":
        rows: Iterable[Any] = (c for cs in context.companies.values() for c in cs)
    elif kind == "buyer":
        rows = context.buyers
    elif kind == "interpreter":
        rows = (i for found in context.interpreters.values() for i in found)
    else:
        return f"#{resource_id}"
    for row in rows:
        if row.id == resource_id:
            return str(getattr(row, "company_name", None) or row.name)
    return f"#{resource_id}"
