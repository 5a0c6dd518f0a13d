"""The caller's routing rule applied: explicit subscriptions, switching a listener's audio
between publishers on one reused transceiver, and speaking events."""

from __future__ import annotations

from typing import Any

from rtc import PublishedTrack, RelayListener, RelayRegistry, Room
from tests.media import LoopbackClient, dominant_frequency, wait_for

from .conftest import ClientFactory

TONES = {"company": 440.0, "interpreter": 880.0}


class Levels(RelayListener):
    def __init__(self) -> None:
        self.levels: dict[str, list[float]] = {}
        self.speaking: list[tuple[str, bool]] = []
        self.active: list[str | None] = []

    def on_audio_level(self, track: PublishedTrack, level_dbov: float) -> None:
        self.levels.setdefault(track.peer.id, []).append(level_dbov)

    def on_speaking_changed(self, track: PublishedTrack, speaking: bool) -> None:
        self.speaking.append((track.peer.id, speaking))

    def on_active_speaker(self, room: Room, peer_id: str | None) -> None:
        self.active.append(peer_id)


class OfferLog:
    """A signal sink in front of a client that keeps the offers' `mids` descriptions."""

    def __init__(self, client: LoopbackClient) -> None:
        self.client = client
        self.mids: list[dict[str, Any]] = []

    async def send(self, message: dict[str, Any]) -> None:
        self.mids.append(message["mids"])
        await self.client.send(message)


def heard(client: LoopbackClient) -> float | None:
    audio = client.any_audio()
    if audio is None or audio.frames < 40:
        return None
    return dominant_frequency(audio.last_samples(9600), audio.sample_rate)


async def test_listener_audio_follows_set_subscriptions(
    registry: RelayRegistry, clients: ClientFactory
) -> None:
    levels = Levels()
    room = registry.create_room("routed", listener=levels, auto_subscribe=False)
    for name, tone in TONES.items():
        client = clients(name, tone_hz=tone)
        peer = room.add_peer(name, client, publish=("audio",))
        client.connect(peer.handle_answer)
    buyer = clients("buyer", publish=[])
    offers = OfferLog(buyer)
    buyer_peer = room.add_peer("buyer", offers, publish=())
    buyer.connect(buyer_peer.handle_answer)
    await wait_for(lambda: len(room.tracks) == 2, 15, what="both publishers' audio")
    audio_of = {t.peer.id: t.id for t in room.tracks.values()}
    assert not buyer_peer.subscriptions  # nothing by default without auto-subscribe

    room.set_subscriptions("buyer", [audio_of["interpreter"]])
    await wait_for(lambda: (f := heard(buyer)) is not None and abs(f - 880) < 5, 15, what="880")

    room.set_subscriptions("buyer", [audio_of["company"]])
    await wait_for(lambda: (f := heard(buyer)) is not None and abs(f - 440) < 5, 15, what="440")
    assert list(buyer_peer.subscriptions) == [audio_of["company"]]
    # one audio transceiver, reused for the new publisher; the offer says what it carries
    assert len(buyer_peer.pc.getTransceivers()) == 1
    (described,) = offers.mids[-1].values()
    assert described["direction"] == "subscribe"
    assert described["track_id"] == audio_of["company"]
    assert described["peer_id"] == "company"

    # the tones are loud: levels reported, speaking on, an active speaker chosen
    await wait_for(lambda: levels.active, 10, what="an active speaker")
    assert room.active_speaker in TONES
    assert ("company", True) in levels.speaking and ("interpreter", True) in levels.speaking
    assert max(levels.levels["company"]) > -30.0
