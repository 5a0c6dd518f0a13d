"""Small problem builders shared by the scheduling tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time

from app.scheduling.model import (
    Buyer,
    Company,
    DayHours,
    EntityId,
    Interpreter,
    LanguagePair,
    MeetingRequest,
    Mission,
    Problem,
    SolveResult,
    Venue,
    language_pair,
)
from app.scheduling.validator import validate_schedule

KO_VI = language_pair("ko", "vi")
KO_EN = language_pair("ko", "en")
KO_ID = language_pair("ko", "id")
KO_RU = language_pair("ko", "ru")


def mission(
    *days: date,
    tz: str = "Asia/Seoul",
    open_: time = time(9),
    close: time = time(18),
    breaks: tuple[tuple[time, time], ...] = ((time(12), time(13)),),
) -> Mission:
    return Mission(id="m", days=days, tz=tz, hours=DayHours(open_, close, breaks))


def booth_venues(*tzs: tuple[EntityId, str, int]) -> tuple[Venue, ...]:
    return tuple(Venue(id=v, tz=tz, capacity=cap) for v, tz, cap in tzs)


def companies(count: int, venue: EntityId = "seoul") -> tuple[Company, ...]:
    return tuple(Company(id=f"c{i}", venue_id=venue) for i in range(count))


def buyers(count: int, tz: str, prefix: str = "b") -> tuple[Buyer, ...]:
    return tuple(Buyer(id=f"{prefix}{i}", tz=tz) for i in range(count))


def interpreter(iid: str, *pairs: LanguagePair, tz: str = "Asia/Seoul") -> Interpreter:
    return Interpreter(id=iid, tz=tz, pairs=frozenset(pairs))


def request(
    rid: str, company: str, buyer: str, priority: int = 1, pair: LanguagePair | None = None
) -> MeetingRequest:
    return MeetingRequest(rid, company, buyer, priority, pair)


def problem(
    m: Mission,
    venues: Iterable[Venue],
    comps: Iterable[Company],
    buys: Iterable[Buyer],
    interps: Iterable[Interpreter],
    reqs: Iterable[MeetingRequest],
) -> Problem:
    venue_list = tuple(venues)
    return Problem(m, venue_list, tuple(comps), tuple(buys), tuple(interps), tuple(reqs))


def assert_valid(p: Problem, result: SolveResult) -> None:
    violations = validate_schedule(p, result.schedule)
    assert violations == [], violations
    placed = {m.request_id for m in result.schedule.meetings}
    missing = {u.request_id for u in result.unplaced}
    assert placed.isdisjoint(missing)
    assert placed | missing == {r.id for r in p.requests}
