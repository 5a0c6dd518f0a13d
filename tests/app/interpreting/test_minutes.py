"""Duty arithmetic: time live is the union of stretches; minutes round half to even."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from app.interpreting.minutes import minutes, time_live

T0 = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_overlapping_nested_and_empty_stretches_count_once() -> None:
    stretches = [
        (at(0), at(600)),
        (at(300), at(400)),  # inside the first
        (at(590), at(700)),  # overlaps its end
        (at(700), at(760)),  # touches
        (at(1000), at(1000)),  # empty
        (at(1200), at(1100)),  # backwards
        (at(2000), at(2030)),
    ]
    assert time_live(stretches) == timedelta(seconds=790)
    assert time_live([]) == timedelta()


def test_minutes_round_half_to_even_from_the_exact_length() -> None:
    assert minutes(timedelta(seconds=195)) == Decimal("3.2")  # 3.25
    assert minutes(timedelta(seconds=201)) == Decimal("3.4")  # 3.35
    assert minutes(timedelta(seconds=3)) == Decimal("0.0")  # 0.05
    assert minutes(timedelta(seconds=3, microseconds=1)) == Decimal("0.1")
    assert minutes(timedelta(hours=2)) == Decimal("120.0")


@given(
    st.lists(
        st.tuples(st.integers(0, 300), st.integers(0, 300)),
        max_size=12,
    )
)
def test_time_live_is_the_measure_of_the_union(raw: list[tuple[int, int]]) -> None:
    covered = {second for start, end in raw for second in range(start, end)}
    stretches = [(at(start), at(end)) for start, end in raw]
    assert time_live(stretches) == timedelta(seconds=len(covered))
