"""Duty arithmetic: time live as a union of stretches, minutes rounded only for display."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

TENTH = Decimal("0.1")
_MICROSECONDS_PER_MINUTE = 60_000_000


def time_live(stretches: Iterable[tuple[datetime, datetime]]) -> timedelta:
    """The length of the union of the stretches: overlapping ones count once, empty or
    backwards ones not at all."""
    total = timedelta()
    end_so_far: datetime | None = None
    for start, end in sorted(stretches):
        if end <= start:
            continue
        if end_so_far is not None and start < end_so_far:
            if end > end_so_far:
                total += end - end_so_far
                end_so_far = end
            continue
        total += end - start
        end_so_far = end
    return total


def minutes(length: timedelta) -> Decimal:
    """Minutes to a tenth, rounded half to even from the exact length."""
    exact = Decimal(length // timedelta(microseconds=1)) / _MICROSECONDS_PER_MINUTE
    return exact.quantize(TENTH, rounding=ROUND_HALF_EVEN)
