"""Who sits where inside a slot: interpreters to meetings, booth and room numbers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from app.scheduling.errors import SchedulingError
from app.scheduling.model import EntityId, LanguagePair, Meeting, Problem


def match_interpreters(
    needs: Sequence[tuple[EntityId, LanguagePair]],
    free: Mapping[EntityId, frozenset[LanguagePair]],
    preferred: Mapping[EntityId, EntityId] | None = None,
) -> dict[EntityId, EntityId] | None:
    """Give every meeting in one slot a qualified interpreter, or None if impossible.

    `needs` lists (request id, pair); `free` the interpreters free in that slot with their
    pairs. Preferred interpreters (the ones meetings had before a reschedule) are tried
    first and augmenting paths then reshuffle only as much as needed (Kuhn's algorithm).
    """
    preferred = preferred or {}
    owner: dict[EntityId, EntityId] = {}  # interpreter -> request
    assigned: dict[EntityId, EntityId] = {}  # request -> interpreter
    pair_of = dict(needs)
    # Fewest qualified interpreters first: the scarce ones get served before they run out.
    candidates = {
        request_id: sorted(
            (i for i, pairs in free.items() if pair in pairs),
            key=lambda i: (len(free[i]), str(i)),
        )
        for request_id, pair in needs
    }
    for request_id, _pair in needs:
        wanted = preferred.get(request_id)
        if wanted is not None and wanted in candidates[request_id] and wanted not in owner:
            owner[wanted] = request_id
            assigned[request_id] = wanted

    def augment(request_id: EntityId, seen: set[EntityId]) -> bool:
        # An idle interpreter first: taking over someone's only reshuffles when needed.
        for interpreter_id in candidates[request_id]:
            if interpreter_id not in owner:
                owner[interpreter_id] = request_id
                assigned[request_id] = interpreter_id
                return True
        for interpreter_id in candidates[request_id]:
            if interpreter_id in seen:
                continue
            seen.add(interpreter_id)
            holder = owner.get(interpreter_id)
            if holder is None or augment(holder, seen):
                owner[interpreter_id] = request_id
                assigned[request_id] = interpreter_id
                return True
        return False

    order = sorted(pair_of, key=lambda r: (len(candidates[r]), str(r)))
    for request_id in order:
        if request_id not in assigned and not augment(request_id, set()):
            return None
    return assigned


def number_seats(
    problem: Problem,
    meetings: Sequence[Meeting],
    keep: Mapping[EntityId, Meeting] | None = None,
) -> tuple[Meeting, ...]:
    """Booth and room numbers per venue: a meeting's number in `keep` (its place before a
    reschedule) if still free, else the company's (buyer's) previous one, else the lowest."""
    keep = keep or {}
    by_start = sorted(meetings, key=lambda m: (m.start, str(m.request_id)))
    booth_of: dict[EntityId, int] = {}
    room_of: dict[EntityId, int] = {}
    taken: set[tuple[object, object, int]] = set()
    numbered: list[Meeting] = []

    def pick(venue_key: object, start: object, capacity: int, last: int | None) -> int:
        if last is not None and last <= capacity and (venue_key, start, last) not in taken:
            number = last
        else:
            found = next(
                (n for n in range(1, capacity + 1) if (venue_key, start, n) not in taken), None
            )
            if found is None:
                raise SchedulingError(f"more meetings than seats at {venue_key} at {start}")
            number = found
        taken.add((venue_key, start, number))
        return number

    # Meetings staying put pick first, then moved ones, then new ones, so a newcomer cannot
    # take the seat of a meeting that stays.
    def rank(meeting: Meeting) -> int:
        before = keep.get(meeting.request_id)
        return 2 if before is None else 0 if before.start == meeting.start else 1

    by_start.sort(key=lambda m: (m.start, rank(m), str(m.request_id)))
    for meeting in by_start:
        request = problem.request_by_id[meeting.request_id]
        before = keep.get(meeting.request_id)
        company = problem.company_by_id[request.company_id]
        venue = problem.venue_by_id[company.venue_id]
        booth = pick(
            ("booth", venue.id),
            meeting.start,
            venue.capacity,
            before.booth if before and before.booth else booth_of.get(company.id),
        )
        booth_of[company.id] = booth
        room: int | None = None
        buyer = problem.buyer_by_id[request.buyer_id]
        if buyer.venue_id is not None:
            room_venue = problem.venue_by_id[buyer.venue_id]
            room = pick(
                ("room", room_venue.id),
                meeting.start,
                room_venue.capacity,
                before.room if before and before.room else room_of.get(buyer.id),
            )
            room_of[buyer.id] = room
        numbered.append(replace(meeting, booth=booth, room=room))
    return tuple(numbered)
