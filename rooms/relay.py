"""The media of rooms on rtc/: one relay room per consultation, one relay peer per seat."""

from __future__ import annotations

import itertools
import logging
from typing import Any

from rooms.errors import InvalidState, MediaFailed, NotFound
from rooms.media import AudioRoutes, MediaEvents, MediaRequest, SignalSend
from rooms.messages import (
    Answer,
    IceCandidate,
    Offer,
    Pause,
    Publish,
    Resume,
    TrackInfo,
    Unpublish,
    dump,
)
from rooms.seats import Seat
from rtc import (
    CloseReason,
    NegotiationError,
    Peer,
    PublishedTrack,
    RelayConfig,
    RelayListener,
    RelayRegistry,
    RtcError,
)
from rtc import Room as RtcRoom

logger = logging.getLogger(__name__)

# Close reasons that mean the seat's media broke, as opposed to the seat or room going away.
_FAILURES = frozenset({CloseReason.ICE_FAILED, CloseReason.SIGNALLING_FAILED, CloseReason.ERROR})


class RelayMedia:
    """The MediaFactory of rooms/ on an rtc RelayRegistry (one per process)."""

    def __init__(self, config: RelayConfig) -> None:
        self.registry = RelayRegistry(config)

    def open_room(self, room_id: str, events: MediaEvents) -> RelayRoomMedia:
        return RelayRoomMedia(self.registry, room_id, events)

    async def close(self) -> None:
        await self.registry.close()


class RelayRoomMedia(RelayListener):
    """One consultation's relay room; also its listener, turning peer ids back into seats."""

    def __init__(self, registry: RelayRegistry, room_id: str, events: MediaEvents) -> None:
        self.events = events
        self.room_id = room_id
        # Subscriptions are made here, not by rtc's auto-subscribe: a seat's first offer must
        # carry one audio and one video m-line only. aiortc's default (balanced) bundle policy
        # gives a second m-line of a kind, created in the same offer, the first one's transport,
        # and that transport is dropped when the answer bundles: the second track never flows.
        self.rtc_room: RtcRoom = registry.create_room(room_id, listener=self, auto_subscribe=False)
        self.seats: dict[str, Seat] = {}  # peer id -> seat, every peer this room has made
        self.current: dict[Seat, SeatRelayMedia] = {}
        # The room's interpretation routing: who receives which audio (see route_audio).
        self.audio_routes: AudioRoutes = {}
        self._numbers = itertools.count(1)

    async def add_seat(self, seat: Seat, signal: SignalSend, *, observer: bool) -> SeatRelayMedia:
        # A fresh peer id per connection: a reconnecting seat's old peer may still be closing.
        peer_id = f"{seat.value}-{next(self._numbers)}"
        media = SeatRelayMedia(self, seat, peer_id, signal)
        self.seats[peer_id] = seat
        try:
            # Every seat, the observer too, gets one audio and one video publish slot in its
            # first offer (see above); the organiser's client leaves them unused until it
            # chooses to speak, and the room refuses its video.
            media.peer = self.rtc_room.add_peer(peer_id, media, publish=("audio", "video"))
        except RtcError as exc:
            raise MediaFailed(str(exc)) from exc
        self.current[seat] = media
        return media

    async def close(self) -> None:
        await self.rtc_room.close(CloseReason.ROOM_CLOSED)

    def route_audio(self, routes: AudioRoutes) -> None:
        self.audio_routes = dict(routes)
        for media in list(self.current.values()):
            media.apply_audio()

    def audio_tracks(self, seat: Seat, source: str) -> list[str]:
        media = self.current.get(seat)
        peer = media.peer if media is not None else None
        if peer is None or peer.closed:
            return []
        return [
            track.id
            for track in peer.tracks.values()
            if track.kind == "audio" and not track.closed and source_of(track) == source
        ]

    def forwarded(self, track: PublishedTrack) -> bool:
        """The organiser observes unseen and is heard only once it chose to speak (`publish`
        audio), whatever its client sends; every other seat's tracks go to those the
        routing gives them to (audio) or to everyone (video)."""
        seat = self.seats.get(track.peer.id)
        if seat is not Seat.ORGANISER:
            return True
        media = self.current.get(seat)
        return track.kind == "audio" and media is not None and media.speaks

    def seat_of(self, peer_id: str | None) -> Seat | None:
        return self.seats.get(peer_id) if peer_id is not None else None

    def is_current(self, peer: Peer) -> bool:
        seat = self.seats.get(peer.id)
        media = self.current.get(seat) if seat is not None else None
        return media is not None and media.peer is peer

    # -- RelayListener ------------------------------------------------------------------------

    def on_track_published(self, track: PublishedTrack) -> None:
        # Video goes to everyone; audio to those the interpretation routing names.
        for media in list(self.current.values()):
            if not media.ready:
                continue
            if track.kind == "video":
                media.subscribe_to(track)
            else:
                media.apply_audio()
        self.events.media_tracks_changed()

    def on_track_unpublished(self, track: PublishedTrack, reason: CloseReason) -> None:
        self.events.media_tracks_changed()

    def on_speaking_changed(self, track: PublishedTrack, speaking: bool) -> None:
        seat = self.seats.get(track.peer.id)
        # The microphone only: an interpreter talking to the partner on the back-channel is
        # not speaking to the room, and does not end a silent channel.
        if seat is not None and self.is_current(track.peer) and source_of(track) == "mic":
            self.events.media_speaking(seat, speaking)

    def on_active_speaker(self, room: RtcRoom, peer_id: str | None) -> None:
        self.events.media_active_speaker(self.seat_of(peer_id))

    def on_peer_closed(self, peer: Peer, reason: CloseReason) -> None:
        seat = self.seats.get(peer.id)
        if seat is not None and reason in _FAILURES and self.is_current(peer):
            self.events.media_failed(seat, reason.value)


def source_of(track: PublishedTrack) -> str:
    """What a published track is to the room: "camera" for video; "mic" or "back_channel"
    for audio (the publish slot's label, see `Publish.source`)."""
    if track.kind == "video":
        return "camera"
    return track.label or "mic"


class SeatRelayMedia:
    """One seat's relay peer; it is the peer's signal sink and numbers the offers."""

    def __init__(self, room: RelayRoomMedia, seat: Seat, peer_id: str, signal: SignalSend) -> None:
        self.room = room
        self.seat = seat
        self.peer_id = peer_id
        self.peer: Peer | None = None
        self._signal = signal
        self._offers = itertools.count(1)
        self._offer_in_flight: str | None = None
        self._closed = False
        self.ready = False  # the first answer is applied: the others' tracks may be added
        self.speaks = seat is not Seat.ORGANISER  # the organiser's audio waits for `publish`

    async def start(self) -> None:
        # add_peer has already queued the first offer (the seat's two publish slots).
        return None

    def apply_audio(self) -> None:
        """Receive exactly the audio tracks the room's routing gives this seat now."""
        peer = self.peer
        if peer is None or peer.closed or not self.ready:
            return
        wanted: set[str] = set()
        for seat, source in self.room.audio_routes.get(self.seat, frozenset()):
            if seat is not self.seat:
                wanted.update(self.room.audio_tracks(seat, source))
        for track_id, subscription in list(peer.subscriptions.items()):
            if subscription.kind == "audio" and track_id not in wanted:
                peer.unsubscribe(track_id)
        for track_id in sorted(wanted - peer.subscriptions.keys()):
            track = self.room.rtc_room.tracks.get(track_id)
            if track is not None:
                self.subscribe_to(track)

    def subscribe_to(self, track: PublishedTrack) -> None:
        peer = self.peer
        if peer is None or peer.closed or track.peer is peer or track.closed:
            return
        if not self.room.forwarded(track):
            return
        try:
            peer.subscribe(track)
        except RtcError as exc:
            logger.warning("%s: cannot subscribe to %s: %s", self.peer_id, track.id, exc)

    async def send(self, message: dict[str, Any]) -> None:
        """rtc's signal sink: offers get an id and say whose track each m-line carries."""
        if message.get("type") != "offer" or self.peer is None:
            logger.warning("%s: unexpected relay message %s", self.peer_id, message.get("type"))
            return
        offer_id = f"{self.peer_id}.{next(self._offers)}"
        self._offer_in_flight = offer_id
        await self._signal(dump(Offer(id=offer_id, sdp=message["sdp"], tracks=self._tracks())))

    def _tracks(self) -> list[TrackInfo]:
        assert self.peer is not None
        tracks = []
        for subscription in self.peer.subscriptions.values():
            if subscription.egress is None:
                continue
            seat = self.room.seats.get(subscription.track.peer.id)
            if seat is None:
                continue
            tracks.append(
                TrackInfo(
                    mid=subscription.egress.transceiver.mid,
                    seat=seat,
                    kind="audio" if subscription.kind == "audio" else "video",
                    track_id=subscription.track.id,
                    source=source_of(subscription.track),  # type: ignore[arg-type]
                )
            )
        return tracks

    async def handle(self, request: MediaRequest) -> dict[str, Any]:
        peer = self.peer
        if peer is None or peer.closed:
            raise InvalidState("the seat's media connection is closed")
        try:
            return await self._handle(peer, request)
        except NegotiationError as exc:
            raise InvalidState(str(exc)) from exc
        except RtcError as exc:
            raise InvalidState(str(exc)) from exc

    async def _handle(self, peer: Peer, request: MediaRequest) -> dict[str, Any]:
        match request:
            case Answer():
                if request.id != self._offer_in_flight:
                    raise InvalidState(f"no offer {request.id} is waiting for an answer")
                self._offer_in_flight = None
                await peer.handle_answer(request.sdp)
                if not self.ready:
                    self.ready = True
                    for track in list(self.room.rtc_room.tracks.values()):
                        if track.kind == "video":
                            self.subscribe_to(track)
                    self.apply_audio()
            case IceCandidate():
                await peer.add_ice_candidate(
                    {
                        "candidate": request.candidate,
                        "sdpMid": request.sdp_mid,
                        "sdpMLineIndex": request.sdp_mline_index,
                    }
                )
            case Publish():
                if self.seat is Seat.ORGANISER and request.kind == "audio":
                    # Its audio already flowing to the relay may now reach the others; the
                    # room's routing (organiser on air) subscribes them.
                    self.speaks = True
                source = request.source if request.kind == "audio" else None
                peer.publish(request.kind, label=None if source == "mic" else source)
            case Unpublish():
                if self.seat is Seat.ORGANISER and request.kind == "audio":
                    self.speaks = False
                tracks = [t for t in peer.tracks.values() if t.kind == request.kind]
                if not tracks:
                    raise NotFound(f"the seat publishes no {request.kind}")
                for track in tracks:
                    track.close(CloseReason.UNPUBLISHED)
            case Pause() | Resume():
                subscriptions = [
                    s
                    for s in peer.subscriptions.values()
                    if s.kind == request.kind
                    and self.room.seats.get(s.track.peer.id) == request.seat
                ]
                if not subscriptions:
                    raise NotFound(f"the seat receives no {request.kind} from {request.seat}")
                for subscription in subscriptions:
                    if isinstance(request, Pause):
                        subscription.pause()
                    else:
                        subscription.resume()
        return {}

    def stats(self) -> dict[str, Any]:
        if self.peer is None:
            return {}
        stats = self.peer.stats()
        return {
            "connection_state": stats.connection_state,
            "packets_in": stats.packets_in,
            "bytes_in": stats.bytes_in,
            "packets_out": stats.packets_out,
            "bytes_out": stats.bytes_out,
            "nacks": stats.nacks,
            "plis": stats.plis,
            "rtt_ms": round(stats.rtt_s * 1000, 1) if stats.rtt_s is not None else None,
            "publishing": sorted(track.kind for track in self.peer.tracks.values()),
        }

    async def close(self, reason: str) -> None:
        if self._closed:
            return
        self._closed = True
        if self.room.current.get(self.seat) is self:
            del self.room.current[self.seat]
        if self.peer is not None:
            await self.peer.close(CloseReason.CLIENT_LEFT)
