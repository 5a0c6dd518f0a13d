"""The meetings import template: the columns the importer reads, filled with the mission's
meetings as they are saved (so filling in outcomes and importing it back is the usual way),
plus sheets listing the names it accepts and what each column means."""

from __future__ import annotations

import csv
import io
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import Translator
from app.imports.columns import HEADINGS, TEMPLATE_FIELDS
from app.imports.models import MeetingKey
from app.imports.plan import OutcomeValues
from app.meetings.models import Meeting, MeetingStatus
from app.missions.models import Mission
from app.money.currencies import from_minor
from app.outcomes.models import Outcome, OutcomeVersion
from app.participants.models import Buyer, Company, Interpreter
from app.spreadsheets import clean, csv_text, keep_text

# The heading written for each field: the first Korean or English one the importer accepts.
KOREAN_HEADINGS = {
    "key": "상담번호", "company": "참가기업", "buyer_company": "바이어사", "buyer": "바이어",
    "interpreter": "통역사", "date": "상담일", "start": "시작", "end": "종료", "status": "상태",
    "currency": "통화", "consultation_value": "상담액", "expected_contract_value": "계약추진액",
    "onsite_contract_amount": "현장계약액", "mou_amount": "MOU액", "interest_level": "관심도",
    "samples": "샘플", "next_steps": "후속조치", "notes": "비고", "reason": "수정사유",
}  # fmt: skip
STATUS_WORDS = {
    "ko": {
        MeetingStatus.COMPLETED: "완료", MeetingStatus.NO_SHOW: "불참",
        MeetingStatus.CANCELLED: "취소", MeetingStatus.SCHEDULED: "예정",
        MeetingStatus.LIVE: "예정",
    },
    "en": {
        MeetingStatus.COMPLETED: "held", MeetingStatus.NO_SHOW: "no-show",
        MeetingStatus.CANCELLED: "cancelled", MeetingStatus.SCHEDULED: "scheduled",
        MeetingStatus.LIVE: "scheduled",
    },
}  # fmt: skip
INTEREST_WORDS = {"ko": {"high": "상", "medium": "중", "low": "하", "none": ""},
                  "en": {"high": "high", "medium": "medium", "low": "low", "none": ""}}


def headings(lang: str) -> list[str]:
    if lang == "ko":
        return [KOREAN_HEADINGS[name] for name in TEMPLATE_FIELDS]
    return [HEADINGS[name][0] for name in TEMPLATE_FIELDS]


async def template_rows(
    *, session: AsyncSession, mission: Mission, lang: str
) -> list[list[Any]]:
    """One row per saved meeting, in time order, with its current outcome."""
    zone = ZoneInfo(mission.timezone)
    companies = {
        c.id: c.name
        for c in await session.scalars(select(Company).where(Company.mission_id == mission.id))
    }
    buyers = {
        b.id: b for b in await session.scalars(select(Buyer).where(Buyer.mission_id == mission.id))
    }
    interpreters = {
        i.id: i.name
        for i in await session.scalars(
            select(Interpreter).where(Interpreter.mission_id == mission.id)
        )
    }
    keys = {
        meeting_id: key
        for key, meeting_id in await session.execute(
            select(MeetingKey.key, MeetingKey.meeting_id).where(
                MeetingKey.mission_id == mission.id
            )
        )
    }
    outcomes = {
        version.meeting_id: OutcomeValues.of(version)
        for version in await session.scalars(
            select(OutcomeVersion)
            .join(Outcome, Outcome.current_version_id == OutcomeVersion.id)
            .where(Outcome.mission_id == mission.id)
        )
    }
    words = STATUS_WORDS["ko" if lang == "ko" else "en"]
    interest = INTEREST_WORDS["ko" if lang == "ko" else "en"]
    rows: list[list[Any]] = []
    for meeting in await session.scalars(
        select(Meeting)
        .where(Meeting.mission_id == mission.id)
        .order_by(Meeting.starts_at, Meeting.id)
    ):
        buyer = buyers[meeting.buyer_id]
        values = outcomes.get(meeting.id)
        start = meeting.starts_at.astimezone(zone)
        end = meeting.ends_at.astimezone(zone)

        def amount(minor: int | None, v: OutcomeValues | None = values) -> Any:
            return None if v is None or minor is None else from_minor(minor, v.currency)

        cells: dict[str, Any] = {
            "key": keys.get(meeting.id, f"TB-{meeting.id}"),
            "company": companies[meeting.company_id],
            "buyer_company": buyer.company_name,
            "buyer": buyer.name,
            "interpreter": interpreters.get(meeting.interpreter_id or 0, ""),
            "date": start.date(),
            "start": start.strftime("%H:%M"),
            "end": end.strftime("%H:%M"),
            "status": words[meeting.status],
            "currency": values.currency if values else mission.currency,
            "consultation_value": amount(values.consultation_value_minor) if values else None,
            "expected_contract_value": amount(values.expected_contract_value_minor)
            if values
            else None,
            "onsite_contract_amount": amount(values.onsite_contract_minor) if values else None,
            "mou_amount": amount(values.mou_minor) if values else None,
            "interest_level": interest[values.interest_level.value] if values else "",
            "samples": values.samples if values else "",
            "next_steps": values.next_steps if values else "",
            "notes": values.notes if values else "",
            "reason": "",
        }
        rows.append([cells[name] for name in TEMPLATE_FIELDS])
    return rows


def to_csv(rows: list[list[Any]], lang: str) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens Korean text as such."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headings(lang))
    for row in rows:
        writer.writerow(["" if value is None else csv_text(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")


def _append(sheet: Any, values: list[Any]) -> None:
    values = [clean(value) for value in values]
    sheet.append(values)
    keep_text(sheet[sheet.max_row][: len(values)], values)


async def to_xlsx(
    *, session: AsyncSession, mission: Mission, rows: list[list[Any]], lang: str
) -> bytes:
    t = Translator(lang)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Meetings" if lang != "ko" else "상담"
    _append(sheet, headings(lang))
    for cell in sheet[1]:
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in rows:
        _append(sheet, row)
    date_column = TEMPLATE_FIELDS.index("date") + 1
    for (cell,) in sheet.iter_rows(min_row=2, min_col=date_column, max_col=date_column):
        cell.number_format = "yyyy-mm-dd"
    for index, name in enumerate(TEMPLATE_FIELDS, start=1):
        width = 28 if name in ("company", "buyer_company", "notes", "next_steps") else 14
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "B2"
    status_column = get_column_letter(TEMPLATE_FIELDS.index("status") + 1)
    words = STATUS_WORDS["ko" if lang == "ko" else "en"]
    choices = ",".join(dict.fromkeys(words[s] for s in (
        MeetingStatus.COMPLETED, MeetingStatus.NO_SHOW, MeetingStatus.CANCELLED,
        MeetingStatus.SCHEDULED)))  # fmt: skip
    validation = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
    validation.add(f"{status_column}2:{status_column}20000")
    sheet.add_data_validation(validation)

    names = workbook.create_sheet("Names" if lang != "ko" else "이름")
    _append(names, [t("import.meetings.field.company"), t("import.meetings.field.buyer_company"),
                    t("import.meetings.field.buyer"), t("import.meetings.field.interpreter")])
    companies = [c.name for c in await session.scalars(
        select(Company).where(Company.mission_id == mission.id).order_by(Company.name))]
    buyers = [(b.company_name, b.name) for b in await session.scalars(
        select(Buyer).where(Buyer.mission_id == mission.id).order_by(Buyer.company_name))]
    interpreters = [i.name for i in await session.scalars(
        select(Interpreter).where(Interpreter.mission_id == mission.id).order_by(Interpreter.name))]
    for index in range(max(len(companies), len(buyers), len(interpreters))):
        buyer = buyers[index] if index < len(buyers) else ("", "")
        _append(names, [
            companies[index] if index < len(companies) else "", buyer[0], buyer[1],
            interpreters[index] if index < len(interpreters) else "",
        ])  # fmt: skip
    for letter in "ABCD":
        names.column_dimensions[letter].width = 32
    for cell in names[1]:
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL

    guide = workbook.create_sheet("Read me" if lang != "ko" else "안내")
    _append(guide, [t("import.columns.field"), t("import.meetings.template.heading"),
                    t("import.meetings.template.meaning")])
    for name in TEMPLATE_FIELDS:
        _append(guide, [t(f"import.meetings.field.{name}"), headings(lang)[
            TEMPLATE_FIELDS.index(name)], t(f"import.meetings.help.{name}")])
    guide.column_dimensions["A"].width = 24
    guide.column_dimensions["B"].width = 16
    guide.column_dimensions["C"].width = 100
    for cell in guide[1]:
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
