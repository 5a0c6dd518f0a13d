"""Reading one spreadsheet cell as a date, a time, an amount, a status or a name to match.

Each reader returns the value or raises CellError with the catalogue code of what is wrong;
cells come typed from XLSX (datetime, time, int, float) and as text from CSV.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from app.imports.tables import Cell, text
from app.meetings.models import MeetingStatus
from app.outcomes.models import InterestLevel


class CellError(ValueError):
    """A cell that cannot be read; `code` names the problem (import.meetings.error.<code>)."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


_DATE = re.compile(r"(\d{4})\s*[-./년]\s*(\d{1,2})\s*[-./월]\s*(\d{1,2})\s*[.일]?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_TIME = re.compile(r"(\d{1,2})\s*[:시.]\s*(\d{2})?\s*분?(?::(\d{2}))?")
_TIME_IN_TEXT = re.compile(r"(?:^|\s|T)(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_GROUPED = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?")


_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")  # 10.06.2024, as in Russia
_MONTH_NAMES = ("%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d, %Y", "%B %d %Y", "%b %d %Y")


def read_date(cell: Cell) -> date:
    """2024-06-10, 2024.06.10, 2024/6/10, 2024년 6월 10일, 20240610, 10.06.2024 (day first,
    as written in Russia and Kazakhstan), 10 June 2024, June 10, 2024, or an Excel date.
    Day/month with slashes and a year last (06/10/2024) is ambiguous, and refused."""
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    value = text(cell)
    try:
        if match := _DATE.match(value) or _COMPACT_DATE.fullmatch(value):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _DOTTED_DATE.fullmatch(value):
            return date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        raise CellError("date_invalid", value=value) from None
    for pattern in _MONTH_NAMES:
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise CellError("date_invalid", value=value)


def read_instant(cell: Cell) -> datetime | None:
    """A date and time with its UTC offset ("2024-06-10T09:00:00+05:00", "...Z") as an
    aware datetime; None for anything else (a wall-clock time in the mission's zone)."""
    if not isinstance(cell, str) or len(cell.strip()) < 16:
        return None
    try:
        found = datetime.fromisoformat(cell.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo is not None else None


def read_time(cell: Cell) -> tuple[time, date | None]:
    """A wall-clock time (09:00, 9:30, 14:00:00, 9시 30분, an Excel time or fraction of a day)
    and the date when the cell holds a whole date and time."""
    if isinstance(cell, datetime):
        return cell.time().replace(microsecond=0), cell.date()
    if isinstance(cell, time):
        return cell.replace(microsecond=0), None
    if isinstance(cell, float | int) and not isinstance(cell, bool) and 0 <= cell < 1:
        seconds = round(cell * 86400)
        return (datetime.min + timedelta(seconds=seconds)).time(), None
    value = text(cell)
    day = None
    if _DATE.match(value):  # "2024-06-10 09:00"
        day = read_date(value)
        found = _TIME_IN_TEXT.search(value)
        if found is None:
            raise CellError("time_invalid", value=value)
        parts = found.groups()
    else:
        match = _TIME.fullmatch(value)
        if match is None:
            raise CellError("time_invalid", value=value)
        parts = match.groups()
    hour, minute, second = (int(part) if part else 0 for part in parts)
    if hour > 23 or minute > 59 or second > 59:
        raise CellError("time_invalid", value=value)
    return time(hour, minute, second), day


def read_minutes(cell: Cell) -> int:
    value = text(cell)
    try:
        minutes = int(Decimal(value))
    except (InvalidOperation, ValueError):
        raise CellError("minutes_invalid", value=value) from None
    if not 1 <= minutes <= 12 * 60 or Decimal(value) != minutes:
        raise CellError("minutes_invalid", value=value)
    return minutes


def read_decimal(cell: Cell) -> Decimal:
    """An amount as the sheet has it: a number cell, "1250.50" or "1,250.50" (grouped
    thousands, as Excel exports them); checked against its currency by the caller."""
    if isinstance(cell, bool):
        raise CellError("amount_invalid", value=str(cell))
    if isinstance(cell, int):
        return Decimal(cell)
    if isinstance(cell, float):
        # repr gives the shortest text that reads back as the same float: what was typed.
        return Decimal(repr(cell))
    value = text(cell).replace("\u00a0", "").replace(" ", "")
    if _GROUPED.fullmatch(value):
        value = value.replace(",", "")
    return Decimal(value) if _plain_number(value) else _refuse(value)


def _plain_number(value: str) -> bool:
    return re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", value) is not None


def _refuse(value: str) -> Decimal:
    raise CellError("amount_invalid", value=value)


STATUS_WORDS: dict[str, MeetingStatus] = {}
for _status, _words in {
    MeetingStatus.COMPLETED: (
        "held", "completed", "complete", "done", "yes", "y", "true", "1", "o", "○", "●", "v",
        "✓", "✔",
        "완료", "상담완료", "진행", "진행완료", "참석", "개최", "실시", "성사",
    ),
    MeetingStatus.NO_SHOW: (
        "no-show", "no show", "noshow", "no_show", "absent", "no", "n", "false", "0", "x", "×",
        "✗",
        "불참", "노쇼", "미참석", "미참가", "결석", "불발",
    ),
    MeetingStatus.CANCELLED: ("cancelled", "canceled", "cancel", "취소", "상담취소"),
    MeetingStatus.SCHEDULED: ("scheduled", "planned", "예정", "상담예정"),
}.items():
    for _word in _words:
        STATUS_WORDS[_word] = _status


def read_status(cell: Cell) -> MeetingStatus:
    value = text(cell)
    found = STATUS_WORDS.get(value.casefold())
    if found is None:
        raise CellError("status_invalid", value=value)
    return found


INTEREST_WORDS: dict[str, InterestLevel] = {}
for _level, _words in {
    InterestLevel.HIGH: ("high", "상", "높음", "매우높음", "a"),
    InterestLevel.MEDIUM: ("medium", "mid", "중", "보통", "b"),
    InterestLevel.LOW: ("low", "하", "낮음", "c"),
    InterestLevel.NONE: ("none", "없음", "-", "무"),
}.items():
    for _word in _words:
        INTEREST_WORDS[_word] = _level


def read_interest(cell: Cell) -> InterestLevel:
    value = text(cell)
    found = INTEREST_WORDS.get(value.casefold().replace(" ", ""))
    if found is None:
        raise CellError("interest_invalid", value=value)
    return found


def read_key(cell: Cell) -> str:
    value = text(cell)
    if len(value) > 100:
        raise CellError("key_too_long", value=value[:20] + "…")
    return value


# Legal-form words that spreadsheets add or leave out: "(주)남동정밀" is "남동정밀".
_LEGAL_FORMS = re.compile(
    r"\(주\)|㈜|\(유\)|주식회사|유한회사|\b(co\.?,?\s*ltd|ltd|llp|llc|inc|jsc|тоо|ооо|pt|cv)\b\.?"
)


@lru_cache(maxsize=4096)
def name_key(name: str) -> str:
    """A name folded for matching: case, width, spaces, punctuation and legal forms ignored."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    folded = _LEGAL_FORMS.sub(" ", folded)
    return "".join(c for c in folded if c.isalnum())
