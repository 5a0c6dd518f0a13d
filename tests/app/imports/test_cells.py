"""Reading cells the way organisers' spreadsheets hold them: dates, times, amounts, statuses,
names, in Korean, Russian and English habits."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

from app.imports.cells import (
    CellError,
    name_key,
    read_date,
    read_decimal,
    read_instant,
    read_interest,
    read_status,
    read_time,
)
from app.imports.columns import read_heading
from app.meetings.models import MeetingStatus
from app.outcomes.models import InterestLevel


@pytest.mark.parametrize(
    "cell",
    ["2024-06-10", "2024.06.10", "2024/6/10", "2024. 6. 10.", "2024년 6월 10일", "20240610",
     "10.06.2024", "10 June 2024", "June 10, 2024", "10 Jun 2024",
     datetime(2024, 6, 10), date(2024, 6, 10)],
)  # fmt: skip
def test_dates(cell: object) -> None:
    assert read_date(cell) == date(2024, 6, 10)  # type: ignore[arg-type]


@pytest.mark.parametrize("cell", ["06/10/2024", "10/06/2024", "2024-13-01", "31.02.2024", "soon"])
def test_ambiguous_or_impossible_dates_are_refused(cell: str) -> None:
    with pytest.raises(CellError) as refused:
        read_date(cell)
    assert refused.value.code == "date_invalid"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("09:30", (time(9, 30), None)),
        ("9:30", (time(9, 30), None)),
        ("14:00:00", (time(14, 0), None)),
        ("9시 30분", (time(9, 30), None)),
        ("9시", (time(9, 0), None)),
        (0.375, (time(9, 0), None)),  # Excel's fraction of a day
        (time(9, 30), (time(9, 30), None)),
        ("2024-06-10 09:30", (time(9, 30), date(2024, 6, 10))),
        (datetime(2024, 6, 10, 9, 30), (time(9, 30), date(2024, 6, 10))),
    ],
)
def test_times(cell: object, expected: tuple[time, date | None]) -> None:
    assert read_time(cell) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("cell", ["25:00", "9:75", "noon", "9"])
def test_bad_times_are_refused(cell: str) -> None:
    with pytest.raises(CellError):
        read_time(cell)


def test_a_start_with_its_offset_is_an_instant() -> None:
    assert read_instant("2024-06-10T09:00:00+05:00") == datetime(2024, 6, 10, 4, tzinfo=UTC)
    assert read_instant("2024-06-10T04:00:00Z") == datetime(2024, 6, 10, 4, tzinfo=UTC)
    assert read_instant("2024-06-10 09:00") is None  # wall clock: the mission's zone
    assert read_instant("09:00") is None


@pytest.mark.parametrize(
    ("cell", "expected"),
    [(1250, "1250"), (1250.5, "1250.5"), (0.1, "0.1"), ("1,250,000.50", "1250000.50"),
     ("1 250", "1250"), (" 42 ", "42")],
)  # fmt: skip
def test_amounts(cell: object, expected: str) -> None:
    assert read_decimal(cell) == Decimal(expected)  # type: ignore[arg-type]


@pytest.mark.parametrize("cell", ["12,34", "1.234,5", "$100", "ten", True])
def test_amounts_that_are_not_numbers_are_refused(cell: object) -> None:
    with pytest.raises(CellError):
        read_decimal(cell)  # type: ignore[arg-type]


def test_statuses_interest_and_names() -> None:
    for held in ("held", "완료", "O", "yes", "TRUE", "1"):
        assert read_status(held) is MeetingStatus.COMPLETED
    for absent in ("no-show", "No show", "불참", "X", "false", "0"):
        assert read_status(absent) is MeetingStatus.NO_SHOW
    assert read_status("취소") is MeetingStatus.CANCELLED
    with pytest.raises(CellError):
        read_status("maybe")
    assert read_interest("상") is InterestLevel.HIGH
    assert read_interest("Medium") is InterestLevel.MEDIUM
    assert name_key("(주)남동 정밀") == name_key("남동정밀")
    assert name_key("Almaty Trade LLP") == name_key("almaty trade")
    assert name_key("ТОО Алматы") == name_key("Алматы")


def test_headings_in_either_language_and_a_currency_in_brackets() -> None:
    assert read_heading("상담번호") == ("key", None)
    assert read_heading("Meeting key") == ("key", None)
    assert read_heading("start_time") == ("start", None)
    assert read_heading("onsite_contract_amount") == ("onsite_contract_amount", None)
    assert read_heading("상담액(USD)") == ("consultation_value", "USD")
    assert read_heading("Consultation value [KZT]") == ("consultation_value", "KZT")
    assert read_heading("담당자") == (None, None)
