"""Who is busy in which slot, for greedy placement, filling gaps and explaining misses."""

from __future__ import annotations

from collections import Counter

from app.scheduling.assign import match_interpreters
from app.scheduling.model import EntityId, LanguagePair, MeetingRequest, pair_label
from app.scheduling.slots import Feasibility, bits


class Occupancy:
    """Mutable bookkeeping of a partial schedule over the slot grid."""

    def __init__(self, feasibility: Feasibility) -> None:
        self.feasibility = feasibility
        problem = feasibility.problem
        self.capacity = {venue.id: venue.capacity for venue in problem.venues}
        self.company_busy: dict[EntityId, int] = {}
        self.buyer_busy: dict[EntityId, int] = {}
        self.venue_use: Counter[tuple[EntityId, int]] = Counter()
        # slot -> request -> interpreter, for the meetings that need one
        self.interpreting: dict[int, dict[EntityId, EntityId]] = {}
        self.slot_of: dict[EntityId, int] = {}
        # Meetings are only ever added, so a pair that found no interpreter in a slot never
        # will: remembering that keeps greedy passes from re-running the matching.
        self._no_interpreter: set[tuple[int, LanguagePair]] = set()

    def _full_parties(self, request: MeetingRequest, slot: int) -> list[str]:
        """Names of the full resources other than interpreters (empty: all free).

        A venue counts as full only when the party itself is free: a company busy in its
        own single booth is one reason, not two.
        """
        bit = 1 << slot
        full: list[str] = []
        company_busy = bool(self.company_busy.get(request.company_id, 0) & bit)
        buyer_busy = bool(self.buyer_busy.get(request.buyer_id, 0) & bit)
        if company_busy:
            full.append(f"company:{request.company_id}")
        if buyer_busy:
            full.append(f"buyer:{request.buyer_id}")
        resources = self.feasibility.resources(request)
        venue = resources.company_venue
        if not company_busy and self.venue_use[(venue, slot)] >= self.capacity[venue]:
            full.append(f"booths:{venue}")
        room = resources.buyer_venue
        if (
            room is not None
            and not buyer_busy
            and self.venue_use[(room, slot)] >= self.capacity[room]
        ):
            full.append(f"rooms:{room}")
        return full

    def interpreters_for(
        self, request: MeetingRequest, slot: int
    ) -> dict[EntityId, EntityId] | None:
        """The slot's interpreter assignment with `request` added, or None if none exists."""
        current = self.interpreting.get(slot, {})
        if request.interpretation is None:
            return dict(current)
        feasibility = self.feasibility
        problem = feasibility.problem
        bit = 1 << slot
        qualified = feasibility.pair_interpreters.get(request.interpretation, ())
        busy = set(current.values())
        # Fast path: a qualified interpreter is simply free.
        idle = [i for i in qualified if i not in busy and feasibility.interpreter_mask[i] & bit]
        if idle:
            chosen = min(idle, key=lambda i: (len(problem.interpreter_by_id[i].pairs), str(i)))
            return {**current, request.id: chosen}
        if (slot, request.interpretation) in self._no_interpreter:
            return None
        free = {
            i.id: i.pairs for i in problem.interpreters if feasibility.interpreter_mask[i.id] & bit
        }
        needs = [(r, problem.request_by_id[r].interpretation) for r in current]
        needs.append((request.id, request.interpretation))
        assignment = match_interpreters(
            [(r, pair) for r, pair in needs if pair is not None], free, preferred=current
        )
        if assignment is None:
            self._no_interpreter.add((slot, request.interpretation))
        return assignment

    def free_mask(self, request: MeetingRequest, mask: int) -> int:
        """The slots of `mask` where the request's company, buyer and venues have room
        (interpreters aside)."""
        return sum(1 << slot for slot in bits(mask) if not self._full_parties(request, slot))

    def blockers(self, request: MeetingRequest, slot: int) -> list[str]:
        full = self._full_parties(request, slot)
        if request.interpretation is not None and self.interpreters_for(request, slot) is None:
            full.append(f"interpreters:{pair_label(request.interpretation)}")
        return full

    def try_place(self, request: MeetingRequest, slot: int) -> bool:
        if self._full_parties(request, slot):
            return False
        assignment = self.interpreters_for(request, slot)
        if assignment is None:
            return False
        self.place(request, slot, assignment)
        return True

    def place(
        self, request: MeetingRequest, slot: int, interpreting: dict[EntityId, EntityId]
    ) -> None:
        bit = 1 << slot
        self.company_busy[request.company_id] = self.company_busy.get(request.company_id, 0) | bit
        self.buyer_busy[request.buyer_id] = self.buyer_busy.get(request.buyer_id, 0) | bit
        resources = self.feasibility.resources(request)
        self.venue_use[(resources.company_venue, slot)] += 1
        if resources.buyer_venue is not None:
            self.venue_use[(resources.buyer_venue, slot)] += 1
        self.interpreting[slot] = interpreting
        self.slot_of[request.id] = slot

    def explain(self, request: MeetingRequest, mask: int) -> tuple[str, tuple[str, ...]]:
        """Why no slot in `mask` can take `request`: a sentence and the full resources."""
        counts: Counter[str] = Counter()
        slots = list(bits(mask))
        for slot in slots:
            counts.update(self.blockers(request, slot))
        ranked = tuple(name for name, _ in counts.most_common())
        parts = ", ".join(f"{name} in {counts[name]}" for name in ranked)
        return f"all {len(slots)} possible slots are taken: {parts}", ranked
