"""A late subscriber gets its first frame because the relay asks the publisher for a keyframe."""

from __future__ import annotations

import time

import pytest

from rtc import RelayConfig, RelayRegistry
from tests.media import LoopbackClient, wait_for

from .conftest import LOOPBACK, ClientFactory, join

# aiortc's VP8 encoder makes a keyframe only at start, on request, on a bitrate change
# (the test publishers ignore REMB) or every 3000 frames: so a subscriber joining later
# can only start if the relay's keyframe request works.
NO_FRAME_WINDOW_S = 4.0


def first_frame(client: LoopbackClient) -> bool:
    video = client.any_video()
    return video is not None and video.frames > 0


@pytest.mark.parametrize("keyframe_requests", [True, False], ids=["pli-on", "pli-off"])
async def test_late_subscriber_first_frame_needs_keyframe_request(
    clients: ClientFactory, keyframe_requests: bool
) -> None:
    config = RelayConfig(ice_host_addresses=LOOPBACK)
    registry = RelayRegistry(config)
    try:
        room = registry.create_room("late")
        publisher, early = clients("pub"), clients("early", publish=[])
        join(room, publisher)
        join(room, early, publish=())
        await wait_for(
            lambda: (v := early.any_video()) is not None and v.frames >= 30, 15, what="early"
        )
        video_track = next(t for t in room.tracks.values() if t.kind == "video")
        # The early subscriber may itself have needed a keyframe request (it subscribes
        # once the publisher's track exists); switch requests off only for the late one.
        config.keyframe_requests_enabled = keyframe_requests
        plis_before = video_track.stats.plis_sent

        early_video = early.any_video()
        assert early_video is not None
        latest_before_join = early_video.counters[-1]
        late = clients("late", publish=[])
        joined = time.monotonic()
        late_peer = join(room, late, publish=())
        await wait_for(lambda: late_peer.connection_state == "connected", 10, what="ICE")
        packets_at_connect = video_track.stats.packets_in

        if keyframe_requests:
            await wait_for(lambda: first_frame(late), 3.0, what="the late subscriber's frame")
            video = late.any_video()
            assert video is not None and video.first_frame_at is not None
            assert video.first_frame_at - joined < 3.0
            assert video.counters[0] > latest_before_join  # a fresh keyframe, not the first
            assert video_track.stats.plis_sent > plis_before
        else:
            with pytest.raises(AssertionError, match="timed out"):
                await wait_for(lambda: first_frame(late), NO_FRAME_WINDOW_S)
            # media kept flowing to the relay and the early subscriber all along
            assert video_track.stats.packets_in > packets_at_connect + 60
            assert video_track.stats.plis_sent == plis_before
            sub = late_peer.subscriptions[video_track.id]
            assert sub.active and sub.stats.packets_out == 0
    finally:
        await registry.close()


async def test_resume_after_pause_restarts_at_a_keyframe(
    room: object, clients: ClientFactory
) -> None:
    from rtc import Room

    assert isinstance(room, Room)
    publisher, subscriber = clients("pub"), clients("sub", publish=[])
    join(room, publisher)
    peer = join(room, subscriber, publish=())
    await wait_for(lambda: (v := subscriber.any_video()) is not None and v.frames >= 15, 15)
    video_track = next(t for t in room.tracks.values() if t.kind == "video")
    subscription = peer.subscriptions[video_track.id]
    offers = subscriber.offers

    subscription.pause()
    video = subscriber.any_video()
    assert video is not None
    sent = subscription.stats.packets_out
    paused_at = video_track.stats.packets_in
    await wait_for(lambda: video_track.stats.packets_in > paused_at + 30, 5, what="publishing")
    assert subscription.stats.packets_out == sent  # nothing forwarded while paused

    frames_before = video.frames
    plis = video_track.stats.plis_sent
    subscription.resume()
    await wait_for(lambda: video.frames > frames_before + 10, 5, what="frames after resume")
    assert video_track.stats.plis_sent > plis
    assert subscriber.offers == offers  # no renegotiation
    counters = video.counters
    assert counters == sorted(counters)
