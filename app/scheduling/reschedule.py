"""After a no-show or cancellation: fit new or changed requests, moving the fewest meetings."""

from __future__ import annotations

import enum
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from app.scheduling.assign import match_interpreters, number_seats
from app.scheduling.model import (
    EntityId,
    Meeting,
    MeetingRequest,
    Problem,
    Schedule,
    Unplaced,
    UnplacedReason,
)
from app.scheduling.slots import Feasibility
from app.scheduling.solver import (
    check_request,
    descend,
    fill_gaps,
    priority_weights,
    solve_slots,
    time_budget,
)

logger = logging.getLogger(__name__)


class RemovalReason(enum.StrEnum):
    CANCELLED = "cancelled"  # the organiser cancelled it, or the request was withdrawn
    NO_LONGER_FITS = "no_longer_fits"  # availability changed and no slot is left for it


@dataclass(frozen=True)
class Removal:
    meeting: Meeting
    reason: RemovalReason
    detail: str = ""


@dataclass(frozen=True)
class Move:
    """An existing meeting that gets a new time, or another interpreter, booth or room."""

    before: Meeting
    after: Meeting

    @property
    def request_id(self) -> EntityId:
        return self.before.request_id

    @property
    def time_changed(self) -> bool:
        return self.before.start != self.after.start


@dataclass(frozen=True)
class ChangeSet:
    """What a reschedule would do, to show the organiser before `schedule` replaces the old."""

    moves: tuple[Move, ...]
    additions: tuple[Meeting, ...]
    removals: tuple[Removal, ...]
    unplaced: tuple[Unplaced, ...]  # new or changed requests that still do not fit
    schedule: Schedule

    @property
    def moved_meetings(self) -> int:
        return sum(1 for move in self.moves if move.time_changed)


def _changed(before: Meeting, after: Meeting) -> bool:
    # A meeting given without seat numbers (made by hand) has no seat to lose.
    return (
        before.start != after.start
        or before.interpreter_id != after.interpreter_id
        or (before.booth is not None and before.booth != after.booth)
        or (before.room is not None and before.room != after.room)
    )


def propose_reschedule(
    problem: Problem,
    current: Schedule,
    *,
    cancelled: Iterable[EntityId] = (),
    now: datetime | None = None,
    time_limit_s: float = 5.0,
    num_workers: int = 2,
    seed: int = 0,
) -> ChangeSet:
    """A change set that keeps every still-valid meeting, places as many of the others as
    it can (higher priority first) and, among such schedules, moves the fewest meetings.

    `problem` is the updated mission: its requests are all approved requests (a meeting
    whose request is gone is cancelled), with parties' availability as it now stands.
    `cancelled` voids meetings (a no-show); if their request is still in `problem`, it is
    placed again like a new one. Meetings that started before `now` stay as they are and
    nothing new is placed before it.
    """
    started = time.perf_counter()
    feasibility = Feasibility(problem)
    void = set(cancelled)
    future_mask = sum(
        1 << i for i, slot in enumerate(feasibility.slots) if now is None or slot.start >= now
    )
    frozen: list[Meeting] = []
    existing: dict[EntityId, Meeting] = {}
    removals: list[Removal] = []
    for meeting in current.meetings:
        known = meeting.request_id in problem.request_by_id
        if meeting.request_id in void or not known:
            removals.append(Removal(meeting, RemovalReason.CANCELLED))
        elif now is not None and meeting.start < now:
            frozen.append(meeting)
        else:
            existing[meeting.request_id] = meeting
    done = {meeting.request_id for meeting in frozen}
    to_place = [r for r in problem.requests if r.id not in done]
    unplaced: list[Unplaced] = []
    candidates: list[MeetingRequest] = []
    masks: dict[EntityId, int] = {}
    for request in to_place:
        reason = check_request(feasibility, request)
        mask = feasibility.request_mask(request) & future_mask
        if reason is None and not mask:
            reason = Unplaced(
                request.id, UnplacedReason.NO_COMMON_AVAILABILITY, "no common slot is left"
            )
        if reason is None:
            candidates.append(request)
            masks[request.id] = mask
        elif request.id in existing:
            removals.append(
                Removal(existing.pop(request.id), RemovalReason.NO_LONGER_FITS, reason.detail)
            )
        else:
            unplaced.append(reason)

    # Lexicographic weights: keeping a meeting beats placing every new one, placing one new
    # meeting beats every move, and each meeting left where it was earns 1.
    new = [r for r in candidates if r.id not in existing]
    weights = priority_weights(new) if new else {}
    step = len(existing) + 1
    new_total = sum(weights[r.priority] for r in new) * step
    gains = {
        r.id: new_total + step if r.id in existing else weights[r.priority] * step
        for r in candidates
    }
    stay: dict[EntityId, tuple[int, int]] = {}
    for request_id, meeting in existing.items():
        slot = feasibility.slot_index(meeting.start)
        if slot is not None:
            stay[request_id] = (slot, 1)
    _, occupancy = solve_slots(
        feasibility,
        candidates,
        masks,
        gains,
        stay_bonus=stay,
        time_limit_s=time_budget(time_limit_s, time.perf_counter() - started),
        num_workers=num_workers,
        seed=seed,
    )
    fill_gaps(occupancy, candidates, masks, gains)
    # Meetings placed anew go to the earliest slot free for them (the solver's objective,
    # docs/scheduling.md); the meetings already booked stay where the solve left them.
    occupancy = descend(
        feasibility, candidates, masks, occupancy,
        deadline=started + time_limit_s, movable=frozenset(r.id for r in new),
    )

    # Name interpreters again, keeping each meeting's interpreter wherever possible.
    by_slot: defaultdict[int, list[MeetingRequest]] = defaultdict(list)
    for request in candidates:
        if request.id in occupancy.slot_of:
            by_slot[occupancy.slot_of[request.id]].append(request)
    placed: list[Meeting] = []

    def window_start(slot: int) -> datetime:
        return feasibility.slots[slot].start

    for slot, requests in by_slot.items():
        bit = 1 << slot
        free = {
            i.id: i.pairs for i in problem.interpreters if feasibility.interpreter_mask[i.id] & bit
        }
        # Meetings staying in this slot keep their interpreter before moved-in ones ask.
        previous: dict[EntityId, EntityId] = {}
        staying = sorted(
            (existing[r.id] for r in requests if r.id in existing),
            key=lambda m: m.start != window_start(slot),
        )
        for kept in staying:
            if kept.interpreter_id is not None and kept.interpreter_id not in previous.values():
                previous[kept.request_id] = kept.interpreter_id
        needs = [(r.id, pair) for r in requests if (pair := r.interpretation) is not None]
        named = match_interpreters(needs, free, preferred=previous)
        if named is None:
            raise AssertionError(f"slot {slot} holds more interpreted meetings than interpreters")
        window = feasibility.slots[slot]
        placed.extend(Meeting(r.id, window.start, window.end, named.get(r.id)) for r in requests)
    numbered = number_seats(
        problem, [*frozen, *placed], keep={**existing, **{m.request_id: m for m in frozen}}
    )
    frozen_ids = {m.request_id for m in frozen}
    moves: list[Move] = []
    additions: list[Meeting] = []
    for meeting in numbered:
        if meeting.request_id in frozen_ids:
            continue
        before = existing.get(meeting.request_id)
        if before is None:
            additions.append(meeting)
        elif _changed(before, meeting):
            moves.append(Move(before, meeting))
    for request in candidates:
        if request.id in occupancy.slot_of:
            continue
        detail, blocking = occupancy.explain(request, masks[request.id])
        if request.id in existing:
            removals.append(Removal(existing[request.id], RemovalReason.NO_LONGER_FITS, detail))
        else:
            unplaced.append(
                Unplaced(request.id, UnplacedReason.CAPACITY_EXHAUSTED, detail, blocking)
            )
    logger.info(
        "reschedule: %d moves, %d additions, %d removals, %d unplaced",
        len(moves),
        len(additions),
        len(removals),
        len(unplaced),
    )
    ordered = tuple(sorted(numbered, key=lambda m: (m.start, str(m.request_id))))
    return ChangeSet(
        moves=tuple(moves),
        additions=tuple(additions),
        removals=tuple(removals),
        unplaced=tuple(unplaced),
        schedule=Schedule(ordered),
    )
