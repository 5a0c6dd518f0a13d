"""Place approved meeting requests into slots with CP-SAT, warm-started by a greedy pass."""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ortools.graph.python import min_cost_flow
from ortools.sat.python import cp_model

from app.scheduling.assign import match_interpreters, number_seats
from app.scheduling.model import (
    EntityId,
    LanguagePair,
    Meeting,
    MeetingRequest,
    Problem,
    Schedule,
    SolveResult,
    Unplaced,
    UnplacedReason,
    pair_label,
)
from app.scheduling.occupancy import Occupancy
from app.scheduling.slots import Feasibility, bits

logger = logging.getLogger(__name__)


def priority_weights(requests: Sequence[MeetingRequest], *, strict: bool = True) -> dict[int, int]:
    """Objective weight of one placed meeting per priority level.

    Strict: one meeting of a level outweighs every meeting of all lower levels together, so
    the organiser's priorities win outright; otherwise the weight is the priority itself.
    """
    levels = sorted({request.priority for request in requests})
    if not strict:
        return {level: max(1, level) for level in levels}
    counts: defaultdict[int, int] = defaultdict(int)
    for request in requests:
        counts[request.priority] += 1
    weights: dict[int, int] = {}
    below = 0
    for level in levels:
        weights[level] = below + 1
        below += counts[level] * weights[level]
    return weights


def check_request(feasibility: Feasibility, request: MeetingRequest) -> Unplaced | None:
    """The reason a request can never be placed, from its own data alone; None if it can."""
    pair = request.interpretation
    if pair is not None and pair not in feasibility.pair_interpreters:
        return Unplaced(
            request.id,
            UnplacedReason.NO_INTERPRETER_FOR_PAIR,
            f"no interpreter of the mission covers {pair_label(pair)}",
        )
    if not feasibility.common_mask(request):
        return Unplaced(
            request.id,
            UnplacedReason.NO_COMMON_AVAILABILITY,
            "no slot where both venues are open and company and buyer are both available",
        )
    if not feasibility.request_mask(request):
        return Unplaced(
            request.id,
            UnplacedReason.NO_INTERPRETER_AVAILABLE,
            f"no {pair_label(pair)} interpreter is available while company and buyer are",
        )
    return None


@dataclass
class SlotSolution:
    slot_of: dict[EntityId, int]
    status: str
    objective: int
    best_bound: float


def greedy(
    feasibility: Feasibility,
    requests: Sequence[MeetingRequest],
    masks: Mapping[EntityId, int],
    gains: Mapping[EntityId, int],
    preferred: Mapping[EntityId, int] | None = None,
    later: frozenset[EntityId] = frozenset(),
) -> Occupancy:
    """Highest gain first, most constrained first; each into its preferred slot if given,
    else its least contested free slot. Requests in `later` go after all others."""
    preferred = preferred or {}
    demand: defaultdict[int, int] = defaultdict(int)
    for request in requests:
        for slot in bits(masks[request.id]):
            demand[slot] += 1
    occupancy = Occupancy(feasibility)
    order = sorted(
        requests,
        key=lambda r: (r.id in later, -gains[r.id], masks[r.id].bit_count(), str(r.id)),
    )
    for request in order:
        slots = sorted(bits(masks[request.id]), key=lambda s: (demand[s], s))
        wanted = preferred.get(request.id)
        if wanted is not None and masks[request.id] >> wanted & 1:
            slots.insert(0, wanted)
        for slot in slots:
            if occupancy.try_place(request, slot):
                break
    return occupancy


def interpreter_flow_plan(
    feasibility: Feasibility,
    requests: Sequence[MeetingRequest],
    masks: Mapping[EntityId, int],
    gains: Mapping[EntityId, int],
) -> dict[EntityId, int]:
    """Slots for interpreted requests that use interpreters best, ignoring party clashes.

    A min-cost flow request -> (pair, slot) -> (interpreter, slot) with cost -gain: the
    heaviest set of interpreted meetings the interpreters could serve. Interpreters are
    what runs out at expo scale, so greedy placing these first, in these slots, loses
    less than greedy alone.
    """
    flow = min_cost_flow.SimpleMinCostFlow()
    nodes: dict[object, int] = {}

    def node(key: object) -> int:
        return nodes.setdefault(key, len(nodes))

    source, sink = node("source"), node("sink")
    interpreted = [r for r in requests if r.interpretation is not None]
    if not interpreted:
        return {}
    request_arcs: list[tuple[EntityId, int, int]] = []
    pair_slots: set[tuple[LanguagePair, int]] = set()
    for request in interpreted:
        pair = request.interpretation
        assert pair is not None
        flow.add_arc_with_capacity_and_unit_cost(source, node(request.id), 1, -gains[request.id])
        for slot in bits(masks[request.id]):
            arc = flow.add_arc_with_capacity_and_unit_cost(
                node(request.id), node((pair, slot)), 1, 0
            )
            request_arcs.append((request.id, slot, arc))
            pair_slots.add((pair, slot))
    seats: set[tuple[EntityId, int]] = set()
    # Sorted: set order follows string hashing, which changes from run to run.
    for pair, slot in sorted(pair_slots, key=lambda ps: (pair_label(ps[0]), ps[1])):
        for interpreter_id in feasibility.pair_interpreters.get(pair, ()):
            if feasibility.interpreter_mask[interpreter_id] >> slot & 1:
                seat = ("seat", interpreter_id, slot)
                flow.add_arc_with_capacity_and_unit_cost(node((pair, slot)), node(seat), 1, 0)
                if (interpreter_id, slot) not in seats:
                    seats.add((interpreter_id, slot))
                    flow.add_arc_with_capacity_and_unit_cost(node(seat), sink, 1, 0)
    # Not placing a request is always allowed: its unit bypasses at no gain.
    flow.add_arc_with_capacity_and_unit_cost(source, sink, len(interpreted), 0)
    flow.set_node_supply(source, len(interpreted))
    flow.set_node_supply(sink, -len(interpreted))
    if flow.solve() != flow.OPTIMAL:
        logger.warning("interpreter flow plan not solved; greedy goes without it")
        return {}
    return {r: slot for r, slot, arc in request_arcs if flow.flow(arc) > 0}


# Above this many (request, slot) booleans CP-SAT's presolve alone eats the time budget, so
# the solver re-optimises only the neighbourhood of the requests greedy could not place.
FULL_MODEL_LIMIT = 15_000


def solve_slots(
    feasibility: Feasibility,
    requests: Sequence[MeetingRequest],
    masks: Mapping[EntityId, int],
    gains: Mapping[EntityId, int],
    *,
    stay_bonus: Mapping[EntityId, tuple[int, int]] | None = None,
    time_limit_s: float,
    num_workers: int,
    seed: int = 0,
    log: bool = False,
) -> tuple[SlotSolution, Occupancy]:
    """Maximise the gain of placed requests (plus a bonus for staying in a given slot).

    Greedy first (plain and flow-guided, the better kept); then CP-SAT on the whole
    problem when it is small, otherwise on rounds of small neighbourhoods (time windows,
    then language pairs), the rest held fixed.
    """
    stay_bonus = stay_bonus or {}
    started = time.perf_counter()
    preferred = {r: slot for r, (slot, _) in stay_bonus.items()}
    warm = greedy(feasibility, requests, masks, gains, preferred)
    guided: list[Occupancy] = []
    if not stay_bonus:
        # The flow's many equally good plans repair differently around party clashes;
        # two orders of the same requests give two of them, and the better one is kept.
        for order in (list(requests), list(reversed(requests))):
            plan = interpreter_flow_plan(feasibility, order, masks, gains)
            rejected = frozenset(
                r.id for r in requests if r.interpretation is not None and r.id not in plan
            )
            guided.append(greedy(feasibility, requests, masks, gains, plan, later=rejected))
        logger.info(
            "greedy %d placed, flow-guided greedy %s",
            len(warm.slot_of),
            [len(g.slot_of) for g in guided],
        )

    def value(slot_of: Mapping[EntityId, int]) -> int:
        total = 0
        for r, slot in slot_of.items():
            bonus_slot, bonus = stay_bonus.get(r, (-1, 0))
            total += gains[r] + (bonus if slot == bonus_slot else 0)
        return total

    for other in guided:
        if value(other.slot_of) > value(warm.slot_of):
            warm = other
    size = sum(masks[r.id].bit_count() for r in requests)
    if size <= FULL_MODEL_LIMIT:
        found = _cp_round(
            feasibility,
            requests,
            masks,
            gains,
            stay_bonus,
            warm,
            time_limit_s=time_limit_s - (time.perf_counter() - started),
            num_workers=num_workers,
            seed=seed,
            log=log,
        )
        if found is None or value(found.slot_of) < value(warm.slot_of):
            return SlotSolution(dict(warm.slot_of), "greedy", value(warm.slot_of), math.nan), warm
        occupancy = _occupancy_from(feasibility, requests, found.slot_of, warm)
        return found, occupancy

    occupancy = warm
    status = "greedy"
    deadline = started + time_limit_s
    round_number = 0
    # Rounds over small neighbourhoods, each held to a fraction of a second so CP-SAT can
    # presolve and search it; a cycle that improves nothing ends the search.
    while time.perf_counter() < deadline - 0.2:
        progress = False
        for label, window in _neighbourhood_plan(feasibility, requests, masks, occupancy):
            left = deadline - time.perf_counter()
            if left < 0.2:
                break
            if window is None:
                free, fixed = _neighbourhood(feasibility, requests, masks, occupancy, label)
            else:
                free, fixed = _window_neighbourhood(requests, masks, occupancy, window)
            if not free:
                continue
            base = Occupancy(feasibility)
            for request in requests:
                if request.id in fixed:
                    slot = occupancy.slot_of[request.id]
                    base.place(request, slot, _only(occupancy.interpreting.get(slot, {}), fixed))
            allowed = window if window is not None else -1
            sub_masks = {r.id: base.free_mask(r, masks[r.id] & allowed) for r in free}
            round_number += 1
            found = _cp_round(
                feasibility,
                free,
                sub_masks,
                gains,
                stay_bonus,
                occupancy,
                time_limit_s=min(left, ROUND_SECONDS),
                num_workers=num_workers,
                seed=seed + round_number,
                log=log,
                base=base,
            )
            if found is None:
                continue
            merged = {r: occupancy.slot_of[r] for r in fixed} | found.slot_of
            if value(merged) <= value(occupancy.slot_of):
                continue
            logger.info(
                "neighbourhood %s: %d free requests, value %d -> %d",
                pair_label(label) if window is None else f"window {window:#x}",
                len(free),
                value(occupancy.slot_of),
                value(merged),
            )
            occupancy = _occupancy_from(feasibility, requests, merged, occupancy)
            status = "improved"
            progress = True
        if not progress:
            break
    return SlotSolution(dict(occupancy.slot_of), status, value(occupancy.slot_of), math.nan), (
        occupancy
    )


# A neighbourhood round gets at most this long: long enough to presolve a few thousand
# booleans and search, short enough for many rounds in a ten-second budget.
ROUND_SECONDS = 1.0
# Consecutive slots per time-window neighbourhood (windows overlap by half).
WINDOW_SLOTS = 4


def _neighbourhood_plan(
    feasibility: Feasibility,
    requests: Sequence[MeetingRequest],
    masks: Mapping[EntityId, int],
    occupancy: Occupancy,
) -> list[tuple[LanguagePair | None, int | None]]:
    """The neighbourhoods of one cycle: time windows where unplaced requests could go,
    most wanted first, then one per language pair with misses."""
    unplaced = [r for r in requests if r.id not in occupancy.slot_of]
    plan: list[tuple[LanguagePair | None, int | None]] = []
    scored = []
    for first in range(0, len(feasibility.slots), WINDOW_SLOTS // 2):
        window = ((1 << WINDOW_SLOTS) - 1) << first
        wanted = sum(1 for r in unplaced if masks[r.id] & window)
        if wanted:
            scored.append((-wanted, first, window))
    plan.extend((None, window) for _, _, window in sorted(scored))
    plan.extend((pair, None) for pair in _focuses(requests, occupancy))
    return plan


def _window_neighbourhood(
    requests: Sequence[MeetingRequest],
    masks: Mapping[EntityId, int],
    occupancy: Occupancy,
    window: int,
) -> tuple[list[MeetingRequest], set[EntityId]]:
    """Every meeting inside a few consecutive slots, and every unplaced request that could
    go there; they may only be rearranged within the window."""
    free: list[MeetingRequest] = []
    fixed: set[EntityId] = set()
    for request in requests:
        slot = occupancy.slot_of.get(request.id)
        if slot is None:
            if masks[request.id] & window:
                free.append(request)
        elif window >> slot & 1:
            free.append(request)
        else:
            fixed.add(request.id)
    return free, fixed


def _focuses(requests: Sequence[MeetingRequest], occupancy: Occupancy) -> list[LanguagePair | None]:
    misses: defaultdict[LanguagePair | None, int] = defaultdict(int)
    for request in requests:
        if request.id not in occupancy.slot_of:
            misses[request.interpretation] += 1
    return sorted(misses, key=lambda pair: -misses[pair])


def _only(assignment: Mapping[EntityId, EntityId], keep: set[EntityId]) -> dict[EntityId, EntityId]:
    return {r: i for r, i in assignment.items() if r in keep}


def _neighbourhood(
    feasibility: Feasibility,
    requests: Sequence[MeetingRequest],
    masks: Mapping[EntityId, int],
    occupancy: Occupancy,
    focus: LanguagePair | None,
) -> tuple[list[MeetingRequest], set[EntityId]]:
    """The unplaced requests of one pair (None: without interpretation) and the placed ones
    in their way; returns them and the ids of every other placed request, held fixed."""
    problem = feasibility.problem
    unplaced = [r for r in requests if r.id not in occupancy.slot_of and r.interpretation == focus]
    # Pairs sharing an interpreter with the focus: their meetings can hand one over.
    linked: set[LanguagePair] = set()
    if focus is not None:
        for interpreter_id in feasibility.pair_interpreters.get(focus, ()):
            linked |= problem.interpreter_by_id[interpreter_id].pairs
    contested = 0
    company_slots: defaultdict[EntityId, int] = defaultdict(int)
    buyer_slots: defaultdict[EntityId, int] = defaultdict(int)
    for request in unplaced:
        mask = masks[request.id]
        contested |= mask
        company_slots[request.company_id] |= mask
        buyer_slots[request.buyer_id] |= mask
    free: list[MeetingRequest] = list(unplaced)
    fixed: set[EntityId] = set()
    for request in requests:
        slot = occupancy.slot_of.get(request.id)
        if slot is None:
            continue
        bit = 1 << slot
        if (
            (request.interpretation in linked and contested & bit)
            or company_slots.get(request.company_id, 0) & bit
            or buyer_slots.get(request.buyer_id, 0) & bit
        ):
            free.append(request)
        else:
            fixed.add(request.id)
    return free, fixed


def _cp_round(
    feasibility: Feasibility,
    requests: Sequence[MeetingRequest],
    masks: Mapping[EntityId, int],
    gains: Mapping[EntityId, int],
    stay_bonus: Mapping[EntityId, tuple[int, int]],
    warm: Occupancy,
    *,
    time_limit_s: float,
    num_workers: int,
    seed: int,
    log: bool,
    base: Occupancy | None = None,
) -> SlotSolution | None:
    """One CP-SAT model over `requests`, around the meetings already in `base`.

    Per request and candidate slot one boolean. Companies and buyers: at most one meeting
    per slot; venues: at most their free seats. Interpreters are pooled per slot: meetings
    of a pair fit if that pair's free single-pair interpreters plus the multi-pair ones lent
    to it suffice, which is exactly when a matching exists; names are given afterwards.
    """
    start = time.perf_counter()
    model = cp_model.CpModel()
    x: dict[tuple[EntityId, int], cp_model.IntVar] = {}
    by_company: defaultdict[tuple[EntityId, int], list[cp_model.IntVar]] = defaultdict(list)
    by_buyer: defaultdict[tuple[EntityId, int], list[cp_model.IntVar]] = defaultdict(list)
    by_venue: defaultdict[tuple[EntityId, int], list[cp_model.IntVar]] = defaultdict(list)
    venue_parties: defaultdict[EntityId, set[tuple[str, EntityId]]] = defaultdict(set)
    by_pair: defaultdict[tuple[LanguagePair, int], list[cp_model.IntVar]] = defaultdict(list)
    variables: list[cp_model.IntVar] = []
    coefficients: list[int] = []
    for request in requests:
        resources = feasibility.resources(request)
        venue_parties[resources.company_venue].add(("company", request.company_id))
        if resources.buyer_venue is not None:
            venue_parties[resources.buyer_venue].add(("buyer", request.buyer_id))
        bonus_slot, bonus = stay_bonus.get(request.id, (-1, 0))
        choices = []
        for slot in bits(masks[request.id]):
            var = model.new_bool_var(f"x_{request.id}_{slot}")
            x[(request.id, slot)] = var
            choices.append(var)
            by_company[(request.company_id, slot)].append(var)
            by_buyer[(request.buyer_id, slot)].append(var)
            by_venue[(resources.company_venue, slot)].append(var)
            if resources.buyer_venue is not None:
                by_venue[(resources.buyer_venue, slot)].append(var)
            if request.interpretation is not None:
                by_pair[(request.interpretation, slot)].append(var)
            variables.append(var)
            coefficients.append(gains[request.id] + (bonus if slot == bonus_slot else 0))
            model.add_hint(var, warm.slot_of.get(request.id) == slot)
        if len(choices) > 1:
            model.add_at_most_one(choices)
    _resource_constraints(
        model, feasibility, (by_company, by_buyer, by_venue, by_pair), venue_parties, warm, base
    )
    model.maximize(cp_model.LinearExpr.weighted_sum(variables, coefficients))
    built = time.perf_counter() - start

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit_s - built)
    solver.parameters.num_workers = num_workers
    solver.parameters.random_seed = seed
    solver.parameters.log_search_progress = log
    # With two workers CP-SAT would run no large-neighbourhood search at all; interleaving
    # runs all its subsolvers (LNS included) in turns on those two threads.
    solver.parameters.interleave_search = True
    code = solver.solve(model)
    logger.info(
        "cp-sat %s after %.2fs (model %.2fs, %d requests, %d booleans)",
        solver.status_name(code),
        solver.wall_time,
        built,
        len(requests),
        len(x),
    )
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    slot_of = {r: s for (r, s), var in x.items() if solver.boolean_value(var)}
    return SlotSolution(
        slot_of,
        "optimal" if code == cp_model.OPTIMAL else "feasible",
        round(solver.objective_value),
        solver.best_objective_bound,
    )


Groups = tuple[
    Mapping[tuple[EntityId, int], list[cp_model.IntVar]],
    Mapping[tuple[EntityId, int], list[cp_model.IntVar]],
    Mapping[tuple[EntityId, int], list[cp_model.IntVar]],
    Mapping[tuple[LanguagePair, int], list[cp_model.IntVar]],
]


def _resource_constraints(
    model: cp_model.CpModel,
    feasibility: Feasibility,
    groups: Groups,
    venue_parties: Mapping[EntityId, set[tuple[str, EntityId]]],
    warm: Occupancy,
    base: Occupancy | None,
) -> None:
    """One meeting per company and buyer per slot, venues within their free seats,
    interpreters pooled per pair (see `_cp_round`)."""
    by_company, by_buyer, by_venue, by_pair = groups
    problem = feasibility.problem
    for group in (by_company, by_buyer):
        for same in group.values():
            if len(same) > 1:
                model.add_at_most_one(same)
    for (venue_id, slot), same in by_venue.items():
        seats = problem.venue_by_id[venue_id].capacity
        used = base.venue_use[(venue_id, slot)] if base is not None else 0
        # With no more parties than free seats the venue cannot overflow: each is single.
        if len(venue_parties[venue_id]) + used > seats and len(same) > seats - used:
            model.add(sum(same) <= seats - used)
    _interpreter_constraints(model, feasibility, by_pair, warm, base)


def _interpreter_constraints(
    model: cp_model.CpModel,
    feasibility: Feasibility,
    by_pair: Mapping[tuple[LanguagePair, int], list[cp_model.IntVar]],
    warm: Occupancy,
    base: Occupancy | None,
) -> None:
    problem = feasibility.problem
    lent: defaultdict[tuple[EntityId, int], list[cp_model.IntVar]] = defaultdict(list)
    for (pair, slot), variables in by_pair.items():
        bit = 1 << slot
        taken = set(base.interpreting.get(slot, {}).values()) if base is not None else set()
        available = [
            problem.interpreter_by_id[i]
            for i in feasibility.pair_interpreters[pair]
            if feasibility.interpreter_mask[i] & bit and i not in taken
        ]
        single = sum(1 for i in available if len(i.pairs) == 1)
        if len(variables) <= single:
            continue
        serving = warm.interpreting.get(slot, {})
        helpers = []
        for interpreter in available:
            if len(interpreter.pairs) == 1:
                continue
            var = model.new_bool_var(f"f_{interpreter.id}_{pair_label(pair)}_{slot}")
            helpers.append(var)
            lent[(interpreter.id, slot)].append(var)
            busy_with = [r for r, i in serving.items() if i == interpreter.id]
            model.add_hint(
                var,
                bool(busy_with) and problem.request_by_id[busy_with[0]].interpretation == pair,
            )
        model.add(sum(variables) <= single + sum(helpers))
    for variables in lent.values():
        if len(variables) > 1:
            model.add_at_most_one(variables)


def _occupancy_from(
    feasibility: Feasibility,
    requests: Sequence[MeetingRequest],
    slot_of: Mapping[EntityId, int],
    previous: Occupancy,
) -> Occupancy:
    """Replay the solver's slots and name the interpreters, keeping the warm start's names."""
    problem = feasibility.problem
    occupancy = Occupancy(feasibility)
    by_slot: defaultdict[int, list[MeetingRequest]] = defaultdict(list)
    for request in requests:
        if request.id in slot_of:
            by_slot[slot_of[request.id]].append(request)
    for slot, placed in by_slot.items():
        bit = 1 << slot
        free = {
            i.id: i.pairs for i in problem.interpreters if feasibility.interpreter_mask[i.id] & bit
        }
        needs = [(r.id, r.interpretation) for r in placed if r.interpretation is not None]
        named = match_interpreters(needs, free, preferred=previous.interpreting.get(slot, {}))
        if named is None:
            raise AssertionError(f"solver placed more interpreted meetings than fit in slot {slot}")
        for request in placed:
            occupancy.place(request, slot, named)
    return occupancy


def _names(occupancy: Occupancy) -> dict[EntityId, EntityId]:
    named: dict[EntityId, EntityId] = {}
    for assignment in occupancy.interpreting.values():
        named.update(assignment)
    return named


def fill_gaps(
    occupancy: Occupancy,
    requests: Sequence[MeetingRequest],
    masks: Mapping[EntityId, int],
    gains: Mapping[EntityId, int],
) -> int:
    """Insert any unplaced request that still fits somewhere (a time-limited solve can leave
    such holes); returns how many were added."""
    added = 0
    for request in sorted(requests, key=lambda r: (-gains[r.id], str(r.id))):
        if request.id in occupancy.slot_of:
            continue
        for slot in bits(masks[request.id]):
            if occupancy.try_place(request, slot):
                added += 1
                break
    return added


def meetings_from(occupancy: Occupancy) -> tuple[Meeting, ...]:
    problem = occupancy.feasibility.problem
    slots = occupancy.feasibility.slots
    names = _names(occupancy)
    meetings = [
        Meeting(
            request_id=request_id,
            start=slots[slot].start,
            end=slots[slot].end,
            interpreter_id=names.get(request_id),
        )
        for request_id, slot in occupancy.slot_of.items()
    ]
    return number_seats(problem, meetings)


# Among schedules of the same weight the solver prefers (docs/scheduling.md, "Objective"):
# each meeting costs its slot's place in the grid (earlier days, then earlier hours, cost
# less), and each slot a party's day spans, from its first meeting to its last, costs
# GAP_COST more: a day of meetings back to back beats one with holes.
GAP_COST = 2


def _slot_days(feasibility: Feasibility) -> list[object]:
    zone = ZoneInfo(feasibility.problem.mission.tz)
    return [slot.start.astimezone(zone).date() for slot in feasibility.slots]


def compact_cost(feasibility: Feasibility, slot_of: Mapping[EntityId, int]) -> int:
    """The secondary cost of a schedule: slot places plus GAP_COST per slot of each
    company's and buyer's day span (first meeting to last, both included)."""
    problem = feasibility.problem
    days = _slot_days(feasibility)
    spans: dict[tuple[str, EntityId, object], tuple[int, int]] = {}
    total = 0
    for request_id, slot in slot_of.items():
        total += slot
        request = problem.request_by_id[request_id]
        for key in (
            ("company", request.company_id, days[slot]),
            ("buyer", request.buyer_id, days[slot]),
        ):
            low, high = spans.get(key, (slot, slot))
            spans[key] = (min(low, slot), max(high, slot))
    return total + GAP_COST * sum(high - low + 1 for low, high in spans.values())


def descend(
    feasibility: Feasibility,
    requests: Sequence[MeetingRequest],
    masks: Mapping[EntityId, int],
    occupancy: Occupancy,
    deadline: float,
    movable: frozenset[EntityId] | None = None,
) -> Occupancy:
    """Each placed meeting (of `movable`, if given), in time order, into the earliest slot
    that is free for it; the others stay in theirs.

    A meeting never moves later, so when it comes up its own slot holds only meetings that
    shared it before: it always still fits there. Placed meetings stay placed; the time
    limit only cuts the search short (the rest stay where they were).
    """
    placed = sorted(
        (r for r in requests if r.id in occupancy.slot_of),
        key=lambda r: (occupancy.slot_of[r.id], str(r.id)),
    )
    fresh = Occupancy(feasibility)
    for request in placed:
        current = occupancy.slot_of[request.id]
        if (movable is None or request.id in movable) and time.perf_counter() < deadline:
            for slot in bits(masks[request.id]):
                if slot >= current or fresh.try_place(request, slot):
                    break
        if request.id not in fresh.slot_of and not fresh.try_place(request, current):
            logger.error("descent could not keep request %s in slot %s", request.id, current)
            return occupancy
    return fresh


def _compact_round(
    feasibility: Feasibility,
    requests: Sequence[MeetingRequest],
    masks: Mapping[EntityId, int],
    warm: Occupancy,
    *,
    time_limit_s: float,
    num_workers: int,
    seed: int,
) -> dict[EntityId, int] | None:
    """The placed requests (each kept placed) re-slotted for the least `compact_cost`."""
    model = cp_model.CpModel()
    days = _slot_days(feasibility)
    by_company: defaultdict[tuple[EntityId, int], list[cp_model.IntVar]] = defaultdict(list)
    by_buyer: defaultdict[tuple[EntityId, int], list[cp_model.IntVar]] = defaultdict(list)
    by_venue: defaultdict[tuple[EntityId, int], list[cp_model.IntVar]] = defaultdict(list)
    by_pair: defaultdict[tuple[LanguagePair, int], list[cp_model.IntVar]] = defaultdict(list)
    venue_parties: defaultdict[EntityId, set[tuple[str, EntityId]]] = defaultdict(set)
    party_day: defaultdict[tuple[str, EntityId, object], list[tuple[cp_model.IntVar, int]]] = (
        defaultdict(list)
    )
    x: dict[tuple[EntityId, int], cp_model.IntVar] = {}
    cost: list[cp_model.LinearExprT] = []
    for request in requests:
        resources = feasibility.resources(request)
        venue_parties[resources.company_venue].add(("company", request.company_id))
        if resources.buyer_venue is not None:
            venue_parties[resources.buyer_venue].add(("buyer", request.buyer_id))
        choices = []
        for slot in bits(masks[request.id]):
            var = model.new_bool_var(f"y_{request.id}_{slot}")
            x[(request.id, slot)] = var
            choices.append(var)
            by_company[(request.company_id, slot)].append(var)
            by_buyer[(request.buyer_id, slot)].append(var)
            by_venue[(resources.company_venue, slot)].append(var)
            if resources.buyer_venue is not None:
                by_venue[(resources.buyer_venue, slot)].append(var)
            if request.interpretation is not None:
                by_pair[(request.interpretation, slot)].append(var)
            party_day[("company", request.company_id, days[slot])].append((var, slot))
            party_day[("buyer", request.buyer_id, days[slot])].append((var, slot))
            cost.append(slot * var)
            model.add_hint(var, warm.slot_of.get(request.id) == slot)
        model.add_exactly_one(choices)
    _resource_constraints(
        model, feasibility, (by_company, by_buyer, by_venue, by_pair), venue_parties, warm, None
    )
    for key, items in party_day.items():
        low = min(slot for _, slot in items)
        high = max(slot for _, slot in items)
        first = model.new_int_var(low, high, f"first_{key}")
        last = model.new_int_var(low, high, f"last_{key}")
        used = model.new_bool_var(f"used_{key}")
        for var, slot in items:
            # Linear forms of "var => first <= slot" and "var => last >= slot", which
            # CP-SAT's relaxation bounds far better than enforcement literals.
            model.add(first + (high - slot) * var <= high)
            model.add(last >= low + (slot - low) * var)
            model.add_implication(var, used)
        model.add(last >= first)
        # The day's span in slots when the party meets that day, else 0.
        cost.append(GAP_COST * (last - first + used))
    model.minimize(sum(cost))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, time_limit_s)
    solver.parameters.num_workers = num_workers
    solver.parameters.random_seed = seed
    solver.parameters.interleave_search = True
    code = solver.solve(model)
    logger.info(
        "compaction %s after %.2fs (%d requests)", solver.status_name(code), solver.wall_time,
        len(requests),
    )
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return {r: slot for (r, slot), var in x.items() if solver.boolean_value(var)}


def compact(
    feasibility: Feasibility,
    requests: Sequence[MeetingRequest],
    masks: Mapping[EntityId, int],
    occupancy: Occupancy,
    *,
    deadline: float,
    num_workers: int,
    seed: int = 0,
) -> Occupancy:
    """The same meetings, moved to earlier and tighter slots (see GAP_COST): a descent to
    the earliest free slots, then, for a model CP-SAT can take whole, the least cost."""
    best = descend(feasibility, requests, masks, occupancy, deadline)
    placed = [r for r in requests if r.id in best.slot_of]
    size = sum(masks[r.id].bit_count() for r in placed)
    left = deadline - time.perf_counter()
    if not placed or size > FULL_MODEL_LIMIT or left < 0.1:
        return best
    found = _compact_round(
        feasibility, placed, masks, best, time_limit_s=left, num_workers=num_workers, seed=seed
    )
    if found is None or compact_cost(feasibility, found) >= compact_cost(
        feasibility, best.slot_of
    ):
        return best
    return _occupancy_from(feasibility, placed, found, best)


def time_budget(time_limit_s: float, prepared_s: float) -> float:
    """Seconds left for the search when preparing took `prepared_s`.

    Naming interpreters, numbering seats and explaining misses come after the search and
    must fit in the limit too. That work scales like building the slot masks (both walk
    every party and slot, and slow down alike on a busy machine): about three times as
    long, measured.
    """
    return time_limit_s - prepared_s - max(0.05 * time_limit_s, 3 * prepared_s)


# The share of the search time kept for `compact`; it takes at most that share of the
# time limit plus half a second, even when the search leaves more.
COMPACT_SHARE = 0.1


def solve(
    problem: Problem,
    *,
    time_limit_s: float = 10.0,
    num_workers: int = 2,
    strict_priority: bool = True,
    seed: int = 0,
    log: bool = False,
) -> SolveResult:
    """Schedule every approved request that fits; say for each other one why it does not.

    `time_limit_s` bounds the whole call (model building included); the best schedule found
    by then is returned. Two workers suit a 2-core machine.
    """
    started = time.perf_counter()
    feasibility = Feasibility(problem)
    weights = priority_weights(problem.requests, strict=strict_priority)
    gains = {r.id: weights[r.priority] for r in problem.requests}
    unplaced: list[Unplaced] = []
    candidates: list[MeetingRequest] = []
    masks: dict[EntityId, int] = {}
    for request in problem.requests:
        reason = check_request(feasibility, request)
        if reason is None:
            candidates.append(request)
            masks[request.id] = feasibility.request_mask(request)
        else:
            unplaced.append(reason)
    remaining = time_budget(time_limit_s, time.perf_counter() - started)
    searched = time.perf_counter()
    solution, occupancy = solve_slots(
        feasibility,
        candidates,
        masks,
        gains,
        time_limit_s=remaining * (1 - COMPACT_SHARE),
        num_workers=num_workers,
        seed=seed,
        log=log,
    )
    fill_gaps(occupancy, candidates, masks, gains)
    # Which meetings are placed is settled; now when: earlier, and party days compact.
    # It stops at the deadline, or sooner: a small mission's schedule comes back at once
    # rather than after the whole time limit (the descent already did most of the work).
    compact_deadline = min(
        searched + remaining, time.perf_counter() + COMPACT_SHARE * time_limit_s + 0.5
    )
    occupancy = compact(
        feasibility, candidates, masks, occupancy,
        deadline=compact_deadline, num_workers=num_workers, seed=seed,
    )
    for request in candidates:
        if request.id not in occupancy.slot_of:
            detail, blocking = occupancy.explain(request, masks[request.id])
            unplaced.append(
                Unplaced(request.id, UnplacedReason.CAPACITY_EXHAUSTED, detail, blocking)
            )
    meetings = meetings_from(occupancy)
    objective = sum(gains[m.request_id] for m in meetings)
    return SolveResult(
        schedule=Schedule(tuple(sorted(meetings, key=lambda m: (m.start, str(m.request_id))))),
        unplaced=tuple(unplaced),
        status=solution.status,
        objective=objective,
        best_bound=solution.best_bound,
        solve_seconds=time.perf_counter() - started,
    )
