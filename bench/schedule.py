"""Synthetic expo (320 companies, 1,000 buyers, 2 days) scheduled against an independent bound."""

from __future__ import annotations

import argparse
import logging
import math
import random
import time
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date, datetime
from datetime import time as clock
from zoneinfo import ZoneInfo

from ortools.graph.python import max_flow

from app.scheduling.model import (
    Buyer,
    Company,
    EntityId,
    Interpreter,
    LanguagePair,
    MeetingRequest,
    Mission,
    Problem,
    Schedule,
    Venue,
    VenueKind,
    Window,
    language_pair,
    local_window,
)
from app.scheduling.reschedule import propose_reschedule
from app.scheduling.slots import Feasibility, bits
from app.scheduling.solver import solve
from app.scheduling.validator import validate_schedule

DAYS = (date(2026, 5, 19), date(2026, 5, 20))
SEOUL = "Asia/Seoul"
# (country, zone, language, share of buyers)
COUNTRIES = (
    ("VN", "Asia/Ho_Chi_Minh", "vi", 0.20),
    ("ID", "Asia/Jakarta", "id", 0.14),
    ("JP", "Asia/Tokyo", "ja", 0.12),
    ("TH", "Asia/Bangkok", "th", 0.07),
    ("KZ", "Asia/Almaty", "ru", 0.08),
    ("RU", "Europe/Moscow", "ru", 0.06),
    ("MY", "Asia/Kuala_Lumpur", "en", 0.08),
    ("IN", "Asia/Kolkata", "en", 0.08),
    ("AU", "Australia/Sydney", "en", 0.06),
    ("AE", "Asia/Dubai", "en", 0.05),
    ("HK", "Asia/Hong_Kong", "en", 0.06),
)


def build(
    *,
    seed: int = 20260519,
    companies: int = 320,
    buyers: int = 1000,
    requests: int = 3000,
    interpreters: int = 40,
) -> Problem:
    rng = random.Random(seed)
    mission = Mission(id="expo", days=DAYS, tz=SEOUL, slot_minutes=30)
    venues: list[Venue] = [
        Venue("coex", SEOUL, capacity=companies, kind=VenueKind.BOOTH, name="COEX hall")
    ]
    company_list: list[Company] = []
    company_english: dict[EntityId, bool] = {}
    for n in range(companies):
        cid = f"c{n:03d}"
        company_english[cid] = rng.random() < 0.5
        availability: tuple[Window, ...] | None = None
        if rng.random() < 0.1:  # some companies come for one day only
            day = rng.choice(DAYS)
            availability = (local_window(SEOUL, day, clock(9), clock(18)),)
        company_list.append(Company(cid, "coex", name=f"Company {n}", availability=availability))

    buyer_list: list[Buyer] = []
    buyer_language: dict[EntityId, str] = {}
    centre_members: defaultdict[str, list[int]] = defaultdict(list)
    countries = rng.choices(COUNTRIES, weights=[c[3] for c in COUNTRIES], k=buyers)
    for n, (country, _tz, _lang, _share) in enumerate(countries):
        if rng.random() < 0.5:
            centre_members[country].append(n)
    centre_of: dict[int, str] = {}
    for country, members in centre_members.items():
        tz = next(c[1] for c in COUNTRIES if c[0] == country)
        # A business centre with a room for every three of its buyers.
        venues.append(
            Venue(f"kbc-{country}", tz, capacity=math.ceil(len(members) / 3), kind=VenueKind.ROOM)
        )
        for n in members:
            centre_of[n] = f"kbc-{country}"
    for n, (_country, tz, lang, _share) in enumerate(countries):
        bid = f"b{n:04d}"
        roll = rng.random()
        availability = None
        if roll < 0.25:
            day = rng.choice(DAYS)
            availability = (local_window(tz, day, clock(9), clock(18)),)
        elif roll < 0.40:
            half = (clock(9), clock(13)) if rng.random() < 0.5 else (clock(13), clock(18))
            availability = tuple(local_window(tz, d, *half) for d in DAYS)
        buyer_language[bid] = lang
        buyer_list.append(Buyer(bid, tz, venue_id=centre_of.get(n), availability=availability))

    request_list: list[MeetingRequest] = []
    seen: set[tuple[int, int]] = set()
    while len(request_list) < requests:
        c = rng.randrange(companies)
        b = rng.randrange(buyers)
        if (c, b) in seen:
            continue
        seen.add((c, b))
        company = company_list[c]
        buyer = buyer_list[b]
        lang = buyer_language[buyer.id]
        pair: LanguagePair | None = language_pair("ko", lang)
        if lang == "en" and company_english[company.id]:
            pair = None
        elif lang != "en" and rng.random() < 0.65:
            pair = None  # the buyer brings a Korean-speaking colleague
        priority = rng.choices((3, 2, 1), weights=(0.15, 0.35, 0.50))[0]
        request_list.append(
            MeetingRequest(f"r{len(request_list):04d}", company.id, buyer.id, priority, pair)
        )

    demand = Counter(r.interpretation for r in request_list if r.interpretation is not None)
    pairs = sorted(demand, key=lambda p: -demand[p])
    total = sum(demand.values())
    # Interpreters roughly follow demand; a few also cover English.
    quota = {p: max(2, round(interpreters * demand[p] / total)) for p in pairs}
    while sum(quota.values()) > interpreters:
        quota[max(quota, key=lambda p: quota[p])] -= 1
    while sum(quota.values()) < interpreters:
        quota[min(quota, key=lambda p: quota[p] / demand[p])] += 1
    english = language_pair("ko", "en")
    interpreter_list: list[Interpreter] = []
    for pair in pairs:
        for _ in range(quota[pair]):
            covers = {pair}
            if pair != english and rng.random() < 0.3:
                covers.add(english)
            availability = None
            if rng.random() < 0.2:
                availability = (local_window(SEOUL, rng.choice(DAYS), clock(9), clock(18)),)
            interpreter_list.append(
                Interpreter(
                    f"i{len(interpreter_list):02d}",
                    SEOUL,
                    frozenset(covers),
                    availability=availability,
                )
            )
    return Problem(
        mission,
        tuple(venues),
        tuple(company_list),
        tuple(buyer_list),
        tuple(interpreter_list),
        tuple(request_list),
    )


def upper_bound(problem: Problem) -> dict[str, int]:
    """Bounds on how many requests any valid schedule can hold, none using the solver.

    Each request counts only if some slot suits both venues and parties (and an interpreter
    of its pair is there). "interpreters": the plain requests plus a max flow of interpreted
    requests -> (pair, slot) -> (interpreter, slot) -> sink, ignoring parties' clashes.
    "companies" / "buyers": each party holds at most as many meetings as it has slots.
    """
    feasibility = Feasibility(problem)
    masks = {r.id: feasibility.request_mask(r) for r in problem.requests}
    possible = [r for r in problem.requests if masks[r.id]]
    flow = max_flow.SimpleMaxFlow()
    nodes: dict[object, int] = {}

    def node(key: object) -> int:
        return nodes.setdefault(key, len(nodes))

    source, sink = node("source"), node("sink")
    plain = 0
    pair_slots: set[tuple[LanguagePair, int]] = set()
    for request in possible:
        if request.interpretation is None:
            plain += 1
            continue
        flow.add_arc_with_capacity(source, node(request.id), 1)
        for slot in bits(masks[request.id]):
            flow.add_arc_with_capacity(node(request.id), node((request.interpretation, slot)), 1)
            pair_slots.add((request.interpretation, slot))
    interpreter_slots: set[tuple[EntityId, int]] = set()
    for pair, slot in pair_slots:
        for interpreter_id in feasibility.pair_interpreters[pair]:
            if feasibility.interpreter_mask[interpreter_id] >> slot & 1:
                seat = ("interpreter", interpreter_id, slot)
                flow.add_arc_with_capacity(node((pair, slot)), node(seat), 1)
                if (interpreter_id, slot) not in interpreter_slots:
                    interpreter_slots.add((interpreter_id, slot))
                    flow.add_arc_with_capacity(node(seat), sink, 1)
    flow.solve(source, sink)
    per_company: Counter[EntityId] = Counter(r.company_id for r in possible)
    per_buyer: Counter[EntityId] = Counter(r.buyer_id for r in possible)
    companies = sum(min(n, feasibility.company_mask[c].bit_count()) for c, n in per_company.items())
    buyers = sum(min(n, feasibility.buyer_mask[b].bit_count()) for b, n in per_buyer.items())
    bounds = {
        "possible": len(possible),
        "interpreters": plain + flow.optimal_flow(),
        "companies": companies,
        "buyers": buyers,
    }
    return bounds


def reschedule_demo(problem: Problem, schedule: Schedule, *, seed: int, workers: int) -> None:
    """Day 2 at noon in Seoul: 40 morning-after meetings cancelled, 40 new requests."""
    rng = random.Random(seed + 1)
    now = datetime.combine(DAYS[1], clock(12), tzinfo=ZoneInfo(SEOUL))
    later = [m for m in schedule.meetings if m.start >= now]
    cancelled = {m.request_id for m in rng.sample(later, 40)}
    new: list[MeetingRequest] = []
    pairs = {(r.company_id, r.buyer_id) for r in problem.requests}
    while len(new) < 40:
        company = rng.choice(problem.companies)
        buyer = rng.choice(problem.buyers)
        if (company.id, buyer.id) not in pairs:
            pairs.add((company.id, buyer.id))
            new.append(MeetingRequest(f"new{len(new)}", company.id, buyer.id, 2))
    updated = replace(
        problem,
        requests=tuple(r for r in problem.requests if r.id not in cancelled) + tuple(new),
    )
    started = time.perf_counter()
    changes = propose_reschedule(
        updated, schedule, cancelled=cancelled, now=now, time_limit_s=5, num_workers=workers
    )
    took = time.perf_counter() - started
    violations = validate_schedule(updated, changes.schedule)
    fresh = {r.id for r in new}
    print(
        f"reschedule: {len(cancelled)} cancelled, {len(new)} new -> "
        f"{len(changes.additions)} added ({sum(m.request_id in fresh for m in changes.additions)}"
        " of them new), "
        f"{changes.moved_meetings} moved in time, {len(changes.moves)} changed in all, "
        f"{len(changes.removals)} removed, {len(changes.unplaced)} unplaced, "
        f"{len(violations)} violations, {took:.1f}s"
    )
    if violations:
        raise SystemExit(f"invalid reschedule: {violations[:5]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=20260519)
    parser.add_argument("--time-limit", type=float, default=8.5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--log", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.log else logging.WARNING)
    problem = build(seed=args.seed)
    interpreted = Counter(
        "-".join(sorted(r.interpretation)) for r in problem.requests if r.interpretation
    )
    print(
        f"expo: {len(problem.companies)} companies, {len(problem.buyers)} buyers in "
        f"{len(COUNTRIES)} countries, {len(problem.interpreters)} interpreters, "
        f"{len(problem.requests)} requests ({sum(interpreted.values())} interpreted: "
        + ", ".join(f"{k} {v}" for k, v in interpreted.most_common())
        + ")"
    )
    result = solve(
        problem,
        time_limit_s=args.time_limit,
        num_workers=args.workers,
        seed=args.seed,
        log=args.log,
    )
    bounds = upper_bound(problem)
    bound = min(bounds.values())
    violations = validate_schedule(problem, result.schedule)
    by_priority = Counter(
        problem.request_by_id[m.request_id].priority for m in result.schedule.meetings
    )
    wanted = Counter(r.priority for r in problem.requests)
    print(f"solver: status={result.status} objective={result.objective}")
    print(
        "placed by priority: "
        + ", ".join(f"p{p} {by_priority[p]}/{wanted[p]}" for p in sorted(wanted, reverse=True))
    )
    print("unplaced: " + ", ".join(f"{k} {v}" for k, v in result.unplaced_by_reason().items()))
    blocking = Counter(u.blocking[0].split(":")[0] for u in result.unplaced if u.blocking)
    print("first blocker of capacity misses: " + ", ".join(f"{k} {v}" for k, v in blocking.items()))
    print("upper bounds: " + ", ".join(f"{k} {v}" for k, v in bounds.items()))
    print(f"validator: {len(violations)} violations")
    if violations:
        raise SystemExit(f"invalid schedule: {violations[:5]}")
    reschedule_demo(problem, result.schedule, seed=args.seed, workers=args.workers)
    print(
        f"requests={len(problem.requests)} placed={result.placed} upper_bound={bound} "
        f"placed_ratio={result.placed / bound:.4f} solve_s={result.solve_seconds:.2f}"
    )


if __name__ == "__main__":
    main()
