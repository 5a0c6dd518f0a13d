"""A seat coming back on a new connection, seen by the others: one offer each, and no gap.

The buyer's seat reconnects (its websocket lost; then its whole network lost) and is taken
over by a second device, while the company and the interpreter watch it with real aiortc
peers through the real app and relay. Each time its tracks move onto the others' existing
m-lines in one renegotiation per other seat, and the old track keeps coming until the new
one's first keyframe: while the old connection still sends, the decoded frames of the
buyer's video never stop for a second at either of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from rooms.relay import RelayRoomMedia
from rooms.seats import Seat
from tests.media.client import ReceivedVideo
from tests.media.sources import CounterVideoTrack
from tests.rooms.client import MediaSeat
from tests.rooms.conftest import LiveServer, create_meeting, issue_links
from tests.waiting import wait_for

TIMEOUT = 20.0
MAX_GAP_S = 1.0
# The buyer's second connection numbers its frames from here (its first from 0), so the
# others can tell which connection a frame came from.
SECOND = 20_000
THIRD = 40_000
FOURTH = 60_000


@pytest.fixture
async def media_seats() -> AsyncIterator[list[MediaSeat]]:
    made: list[MediaSeat] = []
    yield made
    await asyncio.gather(*(seat.close() for seat in made), return_exceptions=True)


def _relay(server: LiveServer, meeting_id: int) -> RelayRoomMedia:
    room = server.app.state.rooms.get(meeting_id)
    assert room is not None
    media = room.media
    assert isinstance(media, RelayRoomMedia)
    return media


def _buyer_peer(server: LiveServer, meeting_id: int) -> str:
    """The relay peer id of the buyer's current connection."""
    return _relay(server, meeting_id).current[Seat.BUYER].peer_id


def _relay_state(server: LiveServer, meeting_id: int) -> str:
    """The relay's side, for a failure's message."""
    relay = _relay(server, meeting_id)
    parts = []
    for peer in relay.rtc_room.peers.values():
        switches = [repr(s) for s in peer._switches.values()]
        tracks = {t.id: (t.stats.packets_in, t.stats.plis_sent) for t in peer.tracks.values()}
        subs = {k: (s.stats.packets_out, s.active) for k, s in peer.subscriptions.items()}
        parts.append(f"{peer.id} {peer.connection_state} in {tracks} out {subs} {switches}")
    return "; ".join(parts)


def _buyer_video(seat: MediaSeat) -> ReceivedVideo:
    videos = seat.video_from("buyer")
    assert len(videos) == 1, f"{seat.name}: {seat.describe()}"
    return videos[0]


def _offers(seat: MediaSeat) -> int:
    return len(seat.signal.of_type("offer"))


def _largest_gap(times: list[float], since: float) -> float:
    window = [t for t in times if t >= since]
    return max((b - a for a, b in zip(window, window[1:], strict=False)), default=float("inf"))


async def _settled(server: LiveServer, meeting_id: int, gone: str) -> None:
    """Until the buyer's old relay peer is closed and no peer has a negotiation pending."""
    relay = _relay(server, meeting_id)

    def settled() -> bool:
        peers = relay.rtc_room.peers
        return gone not in peers and not any(peer.negotiating for peer in peers.values())

    await wait_for(settled, TIMEOUT, "the old connection retired and negotiations done")


async def test_a_reconnect_costs_the_others_one_offer_and_no_gap(
    live_server: LiveServer, media_seats: list[MediaSeat]
) -> None:
    rows = await create_meeting(live_server, language_pair="ko-ru")
    links = await issue_links(live_server, rows.meeting_id)

    def seat(name: str, tone_hz: float, *, video: bool = True) -> MediaSeat:
        client = MediaSeat(
            live_server.ws_url,
            rows.meeting_id,
            links[name],
            name=name,
            tone_hz=tone_hz,
            video=video,
        )
        media_seats.append(client)
        return client

    company = seat("company", 440.0)
    interpreter = seat("interpreter", 880.0, video=False)
    buyer = seat("buyer", 660.0)
    watchers = (company, interpreter)
    for client in (company, interpreter, buyer):
        await client.join()
    for watcher in watchers:
        await wait_for(lambda w=watcher: w.frames_from("buyer") >= 30, TIMEOUT, "buyer's video")
    old_mids = {w.name: w.media.mid_of[_buyer_video(w).track_id] for w in watchers}
    old_peer = _buyer_peer(live_server, rows.meeting_id)

    # 1. The buyer's websocket drops; its media goes on. It comes back on a new connection
    # (new websocket, new peer connection) while the old one still sends.
    offers = {w.name: _offers(w) for w in watchers}
    dropped_at = asyncio.get_running_loop().time()
    await buyer.signal.close()
    for watcher in watchers:
        await watcher.signal.wait_for(
            lambda m: m["type"] == "presence" and m["state"] == "reconnecting"
        )
    again = seat("buyer", 660.0)
    again.media.by_source["camera"] = CounterVideoTrack(start=SECOND)
    joined = await again.join()
    assert joined["data"]["rejoined"] is True
    for watcher in watchers:
        try:
            await wait_for(
                lambda w=watcher: _buyer_video(w).counters[-1] >= SECOND + 30,
                TIMEOUT,
                f"{watcher.name} sees the buyer's new connection",
            )
        except AssertionError:
            raise AssertionError(
                f"{watcher.describe()}; last counters {_buyer_video(watcher).counters[-5:]}; "
                f"relay: {_relay_state(live_server, rows.meeting_id)}"
            ) from None
    await buyer.media.close()  # the old peer connection goes away only now
    await _settled(live_server, rows.meeting_id, old_peer)

    for watcher in watchers:
        video = _buyer_video(watcher)
        # The same m-line carries the new track (its mid did not change).
        assert watcher.media.mid_of[video.track_id] == old_mids[watcher.name]
        assert _offers(watcher) == offers[watcher.name] + 1, watcher.describe()
        gap = _largest_gap(video.times, dropped_at)
        print(f"{watcher.name}: largest gap in the buyer's video {gap:.3f} s")
        assert gap < MAX_GAP_S, f"{watcher.name}: the buyer's video stopped for {gap:.2f} s"
        # Both connections' frames arrived, the old ones first.
        counters = [c for c, t in zip(video.counters, video.times, strict=True) if t >= dropped_at]
        first_new = next(i for i, c in enumerate(counters) if c >= SECOND)
        assert first_new > 0 and all(c >= SECOND for c in counters[first_new:])
    # The relabelled m-line names the new track, and the audio followed it too.
    for watcher in watchers:
        lines = [line for line in watcher.lines.values() if line["seat"] == "buyer"]
        assert {(line["kind"], line["direction"]) for line in lines} == {
            ("audio", "receive"),
            ("video", "receive"),
        }
        new_peer = _buyer_peer(live_server, rows.meeting_id)
        assert all(line["track_id"].startswith(f"{new_peer}.") for line in lines), lines
        await wait_for(lambda w=watcher: w.heard_from("buyer") is not None, TIMEOUT, "buyer heard")

    # 2. The buyer's network goes entirely (websocket and peer connection) and comes back:
    # the others keep the m-lines idle meanwhile and get one offer each again.
    offers = {w.name: _offers(w) for w in watchers}
    second_peer = _buyer_peer(live_server, rows.meeting_id)
    await again.close()
    for watcher in watchers:
        await wait_for(
            lambda w=watcher: w.signal.of_type("presence")[-1]["state"] == "reconnecting",
            TIMEOUT,
            "reconnecting",
        )
    third = seat("buyer", 660.0)
    third.media.by_source["camera"] = CounterVideoTrack(start=THIRD)
    await third.join()
    for watcher in watchers:
        await wait_for(
            lambda w=watcher: _buyer_video(w).counters[-1] >= THIRD + 30,
            TIMEOUT,
            f"{watcher.name} sees the buyer's third connection",
        )
        await wait_for(lambda w=watcher: w.heard_from("buyer") is not None, TIMEOUT, "heard")
    await _settled(live_server, rows.meeting_id, second_peer)
    for watcher in watchers:
        assert watcher.media.mid_of[_buyer_video(watcher).track_id] == old_mids[watcher.name]
        assert _offers(watcher) == offers[watcher.name] + 1, watcher.describe()

    # 3. Another device opens the buyer's link while this one is connected (a take-over):
    # the first is told why and closed, and the others again get one offer and no gap.
    offers = {w.name: _offers(w) for w in watchers}
    third_peer = _buyer_peer(live_server, rows.meeting_id)
    taken_at = asyncio.get_running_loop().time()
    fourth = seat("buyer", 660.0)
    fourth.media.by_source["camera"] = CounterVideoTrack(start=FOURTH)
    await fourth.join(device="second PC")
    assert (await third.signal.wait_closed())[0] == 4009
    for watcher in watchers:
        await wait_for(
            lambda w=watcher: _buyer_video(w).counters[-1] >= FOURTH + 30,
            TIMEOUT,
            f"{watcher.name} sees the buyer's second device",
        )
    await third.media.close()  # the first device's tab is closed only now
    await _settled(live_server, rows.meeting_id, third_peer)
    for watcher in watchers:
        video = _buyer_video(watcher)
        assert watcher.media.mid_of[video.track_id] == old_mids[watcher.name]
        assert _offers(watcher) == offers[watcher.name] + 1, watcher.describe()
        gap = _largest_gap(video.times, taken_at)
        print(f"{watcher.name}: largest gap at the take-over {gap:.3f} s")
        assert gap < MAX_GAP_S, f"{watcher.name}: the buyer's video stopped for {gap:.2f} s"
