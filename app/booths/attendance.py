"""Automatic attendance: seats still missing N minutes into their slot are flagged on the board.

One task per service. Every `interval` it looks at the meetings whose slot has been running
for at least `no_show_after` and asks the open rooms who is in. A seat that is missing flags
the meeting (board event `attendance`, `flagged: true`); a late join clears it
(`flagged: false`). The no-show itself is the rooms' rule at the slot's end (company and buyer
never in together); a flagged meeting nobody joined has no room, so its end is settled at once
instead of at the registry's next minute.

In a cluster every node keeps the flags (from who is in the rooms of every node), so each
answers the venue status the same; only the leader publishes the board events, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.cluster.local import LocalCluster
from app.meetings.models import Meeting, MeetingStatus
from app.rooms.service import seats_of
from rooms.clock import Clock, isoformat
from rooms.registry import RoomRegistry
from rooms.room import SeatState
from rooms.seats import Seat

logger = logging.getLogger(__name__)

_IN_ROOM = (SeatState.JOINED, SeatState.RECONNECTING)


@dataclass(frozen=True, slots=True)
class Flag:
    meeting_id: int
    mission_id: int
    missing: frozenset[Seat]
    since: datetime
    ends_at: datetime
    company_venue_id: int | None
    buyer_venue_id: int | None

    def seats(self) -> list[Seat]:
        """The missing seats in the seats' own order (company, buyer, interpreters)."""
        return [seat for seat in Seat if seat in self.missing]

    def event(self, at: datetime) -> dict[str, Any]:
        return {
            "type": "attendance",
            "mission_id": self.mission_id,
            "meeting_id": self.meeting_id,
            "at": isoformat(at),
            "flagged": bool(self.missing),
            "missing": [seat.value for seat in self.seats()],
            "since": isoformat(self.since),
            "company_venue_id": self.company_venue_id,
            "buyer_venue_id": self.buyer_venue_id,
        }


class AttendanceWatcher:
    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        registry: RoomRegistry,
        clock: Clock,
        no_show_after: timedelta,
        interval: float,
        cluster: LocalCluster | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._registry = registry
        self._cluster = cluster
        self._clock = clock
        self._no_show_after = no_show_after
        self._interval = interval
        self._flags: dict[int, Flag] = {}
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.checks = 0  # checks done, for the tests to wait on

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="booths-attendance")

    async def close(self) -> None:
        """Stop after the check in flight, if any: cancelling one in the middle of its query
        could leave the database connection it was opening unclosed."""
        if self._task is not None:
            self._stopping.set()
            await self._task
            self._task = None

    def flags(self, mission_id: int | None = None) -> list[Flag]:
        return [
            flag
            for flag in self._flags.values()
            if mission_id is None or flag.mission_id == mission_id
        ]

    async def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.check()
            except Exception as exc:  # the database may be away for a while; try again later
                logger.warning("attendance check failed: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._interval)

    def _present(self, meeting_id: int) -> set[Seat]:
        room = self._registry.get(meeting_id)
        if room is None or room.closed:
            return set()
        return {seat for seat in Seat if room.seat_state(seat) in _IN_ROOM}

    def _publish(self, mission_id: int, event: dict[str, Any]) -> None:
        if self._cluster is None or self._cluster.is_leader:
            self._registry.bus.publish(mission_id, event)

    async def check(self) -> None:
        """Flag, update or clear every running meeting once."""
        now = self._clock.now()
        async with self._sessionmaker() as session:
            meetings = list(
                await session.scalars(
                    select(Meeting).where(
                        Meeting.status.in_([MeetingStatus.SCHEDULED, MeetingStatus.LIVE]),
                        Meeting.starts_at <= now - self._no_show_after,
                        Meeting.ends_at > now,
                    )
                )
            )
        everywhere = await self._cluster.present() if self._cluster is not None else None
        running = set()
        for meeting in meetings:
            running.add(meeting.id)
            required = {seat for seat in seats_of(meeting) if not seat.is_observer}
            present = (
                set(everywhere.get(meeting.id, ()))
                if everywhere is not None
                else self._present(meeting.id)
            )
            missing = frozenset(required - present)
            flag = self._flags.get(meeting.id)
            if missing and (flag is None or flag.missing != missing):
                flag = Flag(
                    meeting_id=meeting.id,
                    mission_id=meeting.mission_id,
                    missing=missing,
                    since=flag.since if flag else now,
                    ends_at=meeting.ends_at,
                    company_venue_id=meeting.company_venue_id,
                    buyer_venue_id=meeting.buyer_venue_id,
                )
                self._flags[meeting.id] = flag
                logger.info(
                    "meeting %s: not in the room yet: %s",
                    meeting.id,
                    ", ".join(sorted(missing)),
                )
                self._publish(meeting.mission_id, flag.event(now))
            elif not missing and flag is not None:
                del self._flags[meeting.id]
                logger.info("meeting %s: every seat is in; flag cleared", meeting.id)
                cleared = Flag(
                    meeting_id=flag.meeting_id,
                    mission_id=flag.mission_id,
                    missing=frozenset(),
                    since=flag.since,
                    ends_at=flag.ends_at,
                    company_venue_id=flag.company_venue_id,
                    buyer_venue_id=flag.buyer_venue_id,
                )
                self._publish(flag.mission_id, cleared.event(now))
        self.checks += 1
        ended = [flag for meeting_id, flag in self._flags.items() if meeting_id not in running]
        if ended:
            await self._settle(ended, now)

    async def _settle(self, ended: list[Flag], now: datetime) -> None:
        """Flags whose slot is over: the board learns the final status, then they are dropped."""
        if any(self._registry.get(flag.meeting_id) is None for flag in ended):
            # Nobody ever came, so no room will close and settle it: settle it now.
            await self._registry.settle()
        async with self._sessionmaker() as session:
            rows = await session.execute(
                select(Meeting.id, Meeting.status).where(
                    Meeting.id.in_([flag.meeting_id for flag in ended])
                )
            )
            statuses = {meeting_id: status for meeting_id, status in rows}
        for flag in ended:
            status = statuses.get(flag.meeting_id)
            if status in (MeetingStatus.SCHEDULED, MeetingStatus.LIVE):
                continue  # its room is still closing; look again next time
            del self._flags[flag.meeting_id]
            event = flag.event(now) | {"flagged": False, "ended": True}
            event["status"] = status.value if status is not None else None
            self._publish(flag.mission_id, event)
