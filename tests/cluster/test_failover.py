"""Failover: SIGKILL the node that holds a live meeting; its seats, rejoining as the browser
does (through the entry, with call.js's backoff), are back in a room on the other node with
media flowing within 10 s of the kill, and nothing saved is lost: the outcome rows are intact
and the attendance log keeps every stay, the gap of the failure included."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest

from tests.cluster.client import ClusterSeat
from tests.cluster.conftest import TONES, admin_headers, meetings, start_cluster
from tests.live import LiveCluster
from tests.media.waiting import wait_for
from tests.security.faults import outcome_body, rates_body, snapshot

pytestmark = pytest.mark.postgres

FAILOVER_BUDGET_S = 10.0
MEDIA_TIMEOUT_S = 60.0
VIDEO = ("company", "buyer")


@pytest.fixture
def cluster(
    cluster_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveCluster]:
    live = start_cluster(cluster_database, tmp_path_factory.mktemp("failover"))
    yield live
    live.stop()


def _counts(seats: dict[str, ClusterSeat]) -> dict[tuple[str, str], tuple[int, int]]:
    """(listener, speaker) -> (video frames decoded, audio frames received) so far."""
    found = {}
    for name, seat in seats.items():
        media = seat.media
        for other in seats:
            if other != name:
                frames = media.frames_from(other) if other in VIDEO else 0
                audio = sum(track.frames for track in media.audio_from(other))
                found[(name, other)] = (frames, audio)
    return found


def _flowing(seats: dict[str, ClusterSeat], since: dict[tuple[str, str], tuple[int, int]]) -> bool:
    """Every seat decodes new video from each video seat and receives each one's audio."""
    now = _counts(seats)
    return all(
        now[key][1] >= since.get(key, (0, 0))[1] + 10
        and (key[1] not in VIDEO or now[key][0] >= since.get(key, (0, 0))[0] + 5)
        for key in now
    )


async def test_sigkill_of_the_room_node_moves_its_seats_to_the_other_within_10_s(
    cluster: LiveCluster, seats: list[ClusterSeat]
) -> None:
    (meeting,) = await meetings(cluster.database_url, 1, ("company", "buyer", "interpreter"))
    headers = await admin_headers(cluster)
    room = {
        name: ClusterSeat(
            meeting.meeting_id,
            meeting.tokens[name],
            name=name,
            tone_hz=TONES[name],
            video=name in VIDEO,
        )
        for name in ("company", "buyer", "interpreter")
    }
    seats += room.values()
    for seat in room.values():
        await seat.join(cluster.base_url, device=f"{seat.name}-pc")
    home = cluster.node_of(meeting.meeting_id)
    assert home is not None
    survivor = next(node for node in cluster.nodes if node.name != home)
    await wait_for(lambda: _flowing(room, {}), MEDIA_TIMEOUT_S, "media in the first room")

    # An outcome recorded while the meeting runs (the organiser's, on the entry).
    async with httpx.AsyncClient(base_url=cluster.base_url, headers=headers, timeout=30) as http:
        rates = await http.put(
            f"/api/v1/missions/{meeting.mission_id}/exchange-rates", json=rates_body()
        )
        assert rates.status_code == 200, rates.text
        saved = await http.post(
            f"/api/v1/meetings/{meeting.meeting_id}/outcome", json=outcome_body("Park", "1806000")
        )
        assert saved.status_code == 201, saved.text
    tables = ["outcomes", "outcome_versions", "room_attendance"]
    before = await asyncio.to_thread(snapshot, cluster.database_url, tables)
    assert len(before["room_attendance"]) == 3

    killed_at = time.monotonic()
    cluster[home].kill()

    def moved() -> bool:
        # Rejoined through the entry (the survivor serves it alone now), in its room.
        return cluster.node_of(meeting.meeting_id) == survivor.name and all(
            seat.joins >= 2 and not seat.media.signal.closed for seat in room.values()
        )

    await wait_for(
        moved,
        FAILOVER_BUDGET_S,
        "every seat in a room on the surviving node: "
        + "; ".join(f"{s.name} {s.joins} joins, drops {s.drops}" for s in room.values()),
    )
    await wait_for(
        lambda: _flowing(room, {}),
        max(0.1, FAILOVER_BUDGET_S - (time.monotonic() - killed_at)),
        "media flowing again on the surviving node",
    )
    took = time.monotonic() - killed_at
    assert took <= FAILOVER_BUDGET_S
    assert cluster.node_of(meeting.meeting_id) == survivor.name
    for seat in room.values():
        assert seat.drops[0][0] == 1006, seat.drops  # the killed node said no goodbye

    # Nothing saved is lost: the outcome as it was; every stay kept, the first ones ended
    # at the failure and the seats' new stays after it.
    after = await asyncio.to_thread(snapshot, cluster.database_url, tables)
    assert after["outcomes"] == before["outcomes"]
    assert after["outcome_versions"] == before["outcome_versions"]
    rows = {row[0]: row for row in after["room_attendance"]}
    columns = ["id", "meeting_id", "seat", "joined_at", "left_at", "left_reason"]
    first = [dict(zip(columns, rows[row[0]][:6], strict=True)) for row in before["room_attendance"]]
    assert all(row["left_reason"] == "node_lost" for row in first), first
    again = [
        dict(zip(columns, row[:6], strict=True))
        for row_id, row in rows.items()
        if row_id not in {r["id"] for r in first}
    ]
    assert sorted(str(row["seat"]) for row in again) == ["buyer", "company", "interpreter"]
    for row in first:
        (new,) = [r for r in again if r["seat"] == row["seat"]]
        left: datetime = row["left_at"]
        assert row["joined_at"] <= left <= new["joined_at"] and new["left_at"] is None
    assert not survivor.exceptions(), survivor.log.read_text()[-3000:]
