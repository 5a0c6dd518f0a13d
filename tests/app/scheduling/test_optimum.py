"""The solver against exhaustive search on tiny random missions, and its large-scale path."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest

from app.scheduling import solver as solver_module
from app.scheduling.model import Buyer, Meeting, MeetingRequest, Problem, Schedule, Venue
from app.scheduling.model import local_window as window
from app.scheduling.solver import priority_weights, solve
from app.scheduling.validator import validate_schedule
from bench.schedule import build, upper_bound
from tests.app.scheduling.builders import (
    KO_EN,
    KO_ID,
    KO_VI,
    assert_valid,
    buyers,
    companies,
    interpreter,
    mission,
    problem,
    request,
)

DAY = date(2026, 5, 12)
TZ = "Asia/Seoul"
STARTS = [
    datetime.combine(DAY, time(9, 0)),
    datetime.combine(DAY, time(9, 30)),
    datetime.combine(DAY, time(10, 0)),
]


def tiny(seed: int) -> Problem:
    """Three slots, three companies in two booths, three buyers, five requests."""
    rng = random.Random(seed)
    people = []
    for n in range(3):
        hours = sorted(rng.sample(range(3), rng.randint(1, 3)))
        people.append(
            Buyer(
                f"b{n}",
                TZ,
                availability=tuple(
                    window(TZ, DAY, STARTS[h].time(), (STARTS[h] + timedelta(minutes=30)).time())
                    for h in hours
                ),
            )
        )
    pairs = rng.sample([(c, b) for c in range(3) for b in range(3)], 5)
    requests = [
        request(f"r{k}", f"c{c}", f"b{b}", rng.randint(1, 3), rng.choice([None, KO_VI, KO_EN]))
        for k, (c, b) in enumerate(pairs)
    ]
    interpreters = [
        interpreter("i0", KO_VI, KO_EN),
        interpreter("i1", rng.choice([KO_VI, KO_EN])),
    ]
    return problem(
        mission(DAY, open_=time(9), close=time(10, 30), breaks=()),
        [Venue("seoul", TZ, capacity=2)],
        companies(3),
        people,
        interpreters,
        requests,
    )


def best_by_search(p: Problem) -> int:
    """The highest weight any valid schedule reaches, trying every slot and interpreter."""
    weights = priority_weights(p.requests)
    zone_starts = [window(TZ, DAY, s.time(), time(23)).start for s in STARTS]

    def options(r: MeetingRequest) -> Iterator[Meeting | None]:
        yield None
        for start in zone_starts:
            names = [None] if r.interpretation is None else [i.id for i in p.interpreters]
            for name in names:
                yield Meeting(r.id, start, start + timedelta(minutes=30), name)

    best = 0

    def search(k: int, chosen: list[Meeting], value: int) -> None:
        nonlocal best
        # Any part of a valid schedule is valid, so a broken prefix ends the branch.
        if validate_schedule(p, Schedule(tuple(chosen))):
            return
        if k == len(p.requests):
            best = max(best, value)
            return
        r = p.requests[k]
        for option in options(r):
            if option is None:
                search(k + 1, chosen, value)
            else:
                search(k + 1, [*chosen, option], value + weights[r.priority])

    search(0, [], 0)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_solver_matches_exhaustive_search(seed: int) -> None:
    p = tiny(seed)
    result = solve(p, time_limit_s=5)
    assert_valid(p, result)
    assert result.objective == best_by_search(p)


def test_neighbourhood_path_reaches_the_known_optimum(monkeypatch: pytest.MonkeyPatch) -> None:
    # The expo-scale path (greedy, then CP-SAT per language-pair neighbourhood) on the
    # Jakarta case: 12 buyers x 10 common slots = 120 is the optimum.
    monkeypatch.setattr(solver_module, "FULL_MODEL_LIMIT", 0)
    p = problem(
        mission(DAY),
        [Venue("seoul", TZ, capacity=17)],
        companies(17),
        buyers(12, "Asia/Jakarta"),
        [interpreter(f"i{k}", KO_ID) for k in range(8)] + [interpreter("e", KO_ID, KO_EN)],
        [request(f"r{c}-{b}", f"c{c}", f"b{b}", pair=KO_ID) for c in range(17) for b in range(12)],
    )
    result = solve(p, time_limit_s=3)
    assert_valid(p, result)
    # Nine ko-id interpreters for ten slots: 90 is the interpreter-bound optimum.
    assert result.placed == 90
    assert result.status in {"greedy", "improved"}


@pytest.mark.parametrize("seed", range(6))
def test_bench_upper_bound_is_never_below_the_true_maximum(seed: int) -> None:
    # With every priority equal, the exhaustive search counts the most meetings that fit.
    p = tiny(seed)
    flat = replace(p, requests=tuple(replace(r, priority=1) for r in p.requests))
    assert upper_bound_of(flat) >= best_by_search(flat)


def test_small_synthetic_expo_is_valid_and_within_its_bound() -> None:
    p = build(seed=7, companies=12, buyers=40, requests=80, interpreters=5)
    result = solve(p, time_limit_s=5)
    assert_valid(p, result)
    assert 0 < result.placed <= upper_bound_of(p)


def upper_bound_of(p: Problem) -> int:
    return min(upper_bound(p).values())
