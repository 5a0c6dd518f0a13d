"""One publisher, two subscribers, real VP8 and Opus over loopback; no codec work in the relay."""

from __future__ import annotations

import statistics
import sys
from typing import Any

import aiortc.rtcrtpreceiver
import aiortc.rtcrtpsender
import pytest

from rtc import Room
from tests.media import LoopbackClient, dominant_frequency, wait_for

from .conftest import ClientFactory, join

TONE_HZ = 523.0


def received_enough(client: LoopbackClient, frames: int) -> bool:
    video, audio = client.any_video(), client.any_audio()
    return bool(video and audio and video.frames >= frames and audio.frames >= frames)


@pytest.fixture
def codec_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """Every decoder/encoder aiortc creates, with the object that asked for it: the
    decoder thread's input queue (one per receiver) or the sender."""
    calls: list[tuple[str, Any]] = []
    get_decoder = aiortc.rtcrtpreceiver.get_decoder
    get_encoder = aiortc.rtcrtpsender.get_encoder

    def counting_decoder(codec: Any) -> Any:
        calls.append(("decoder", sys._getframe(1).f_locals.get("input_q")))
        return get_decoder(codec)

    def counting_encoder(codec: Any) -> Any:
        calls.append(("encoder", sys._getframe(1).f_locals.get("self")))
        return get_encoder(codec)

    monkeypatch.setattr(aiortc.rtcrtpreceiver, "get_decoder", counting_decoder)
    monkeypatch.setattr(aiortc.rtcrtpsender, "get_encoder", counting_encoder)
    return calls


async def test_one_publisher_two_subscribers_decode_video_and_hear_tone(
    room: Room, clients: ClientFactory, codec_calls: list[tuple[str, Any]]
) -> None:
    publisher = clients("pub", tone_hz=TONE_HZ)
    subscribers = [clients(f"sub{i}", publish=[]) for i in (1, 2)]
    join(room, publisher)
    for subscriber in subscribers:
        join(room, subscriber, publish=())

    for subscriber in subscribers:
        await wait_for(lambda s=subscriber: received_enough(s, 90), 20, what="3 s of media")

    for subscriber in subscribers:
        video = subscriber.any_video()
        assert video is not None
        counters = video.counters
        assert counters == sorted(counters), "frames out of order"
        assert counters[-1] - counters[0] + 1 == len(counters), "frames missing"
        assert video.corrupt == 0
        assert statistics.median(video.psnrs) >= 35.0
        assert min(video.psnrs) >= 30.0
        audio = subscriber.any_audio()
        assert audio is not None
        heard = dominant_frequency(audio.last_samples(24000), audio.sample_rate)
        assert abs(heard - TONE_HZ) < 5.0, heard

    # The relay created no decoder and no encoder; the clients did (the count works).
    relay_queues = [
        r._RTCRtpReceiver__decoder_queue
        for peer in room.peers.values()
        for r in peer.pc.getReceivers()
    ]
    relay_senders = [s for peer in room.peers.values() for s in peer.pc.getSenders()]
    relay_work = [
        (kind, owner)
        for kind, owner in codec_calls
        if any(owner is q for q in relay_queues) or any(owner is s for s in relay_senders)
    ]
    assert relay_work == []
    assert sum(kind == "decoder" for kind, _ in codec_calls) >= 4  # 2 subscribers x 2 kinds
    assert sum(kind == "encoder" for kind, _ in codec_calls) >= 2  # the publisher


async def test_published_and_subscribed_tracks_are_reported(
    room: Room, clients: ClientFactory
) -> None:
    publisher, subscriber = clients("pub"), clients("sub", publish=[])
    join(room, publisher)
    peer = join(room, subscriber, publish=())
    await wait_for(lambda: received_enough(subscriber, 15), 20, what="media")

    assert sorted(t.kind for t in room.tracks.values()) == ["audio", "video"]
    assert {t.peer.id for t in room.tracks.values()} == {"pub"}
    assert sorted(peer.subscriptions) == sorted(room.tracks)
    stats = peer.stats()
    assert stats.packets_out > 0 and stats.bytes_out > 0
    publisher_stats = room.get_peer("pub").stats()
    assert publisher_stats.packets_in >= stats.packets_out / 2
    # the subscriber's client sees the published track ids (msid) it receives
    assert set(subscriber.video) | set(subscriber.audio) == set(room.tracks)

    # Sender reports are coherent enough for the client's receiver reports to give an
    # RTT; the client's REMB reaches the relay and its minimum goes to the publisher.
    video_sub = next(s for s in peer.subscriptions.values() if s.kind == "video")
    await wait_for(
        lambda: all(s.stats.rtt_s is not None for s in peer.subscriptions.values()),
        10,
        what="RTT from the subscriber's receiver reports",
    )
    assert all(0 < (s.stats.rtt_s or 0) < 1.0 for s in peer.subscriptions.values())
    await wait_for(lambda: video_sub.stats.remb_bps is not None, 15, what="REMB")
    await wait_for(lambda: video_sub.track.stats.remb_sent_bps is not None, 5, what="REMB up")
    assert (video_sub.track.stats.remb_sent_bps or 0) > 0
