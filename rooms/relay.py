"""The media of rooms on rtc/: one relay room per consultation, one relay peer per connection.

A seat that comes back on a new connection (a reconnect within the grace period, or another
device taking the seat over) gets a fresh relay peer; the others keep their m-lines. Each
m-line that carried one of the seat's old tracks is switched to the matching new track
(same source) once it is published (`Peer.switch_subscription`): one offer each relabels
it, and the old track (or, if its connection is already gone, the idle m-line held for it)
stays until the new track's first keyframe. The old peer is closed once nobody receives
its tracks any more, or after `RETIRE_AFTER_S`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
from typing import Any

from rooms.errors import InvalidState, MediaFailed, NotFound
from rooms.media import AudioRoutes, MediaEvents, MediaRequest, SeatMedia, SignalSend
from rooms.messages import (
    Answer,
    IceCandidate,
    MediaKind,
    Offer,
    Pause,
    Publish,
    Resume,
    TrackInfo,
    TrackSource,
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
    Subscription,
)
from rtc import Room as RtcRoom

logger = logging.getLogger(__name__)

# Close reasons that mean the seat's media broke, as opposed to the seat or room going away.
_FAILURES = frozenset({CloseReason.ICE_FAILED, CloseReason.SIGNALLING_FAILED, CloseReason.ERROR})

# How long a seat's previous connection may go on feeding the others while its new one's
# tracks take over (they switch at their first keyframe: well under a second on a sound link).
RETIRE_AFTER_S = 5.0

VIDEO_SOURCES: tuple[TrackSource, ...] = ("camera", "screen")

_M_LINE = re.compile(r"^m=(audio|video|application)\b")
_MID = re.compile(r"^a=mid:(\S+)")


def sdp_lines(sdp: str) -> list[tuple[str, str]]:
    """(mid, kind) of each m-line of an SDP, in order."""
    lines: list[tuple[str, str]] = []
    kind: str | None = None
    for line in sdp.splitlines():
        if match := _M_LINE.match(line):
            kind = match.group(1)
        elif kind is not None and (match := _MID.match(line)):
            lines.append((match.group(1), kind))
            kind = None
    return lines


def default_source(kind: str) -> TrackSource:
    return "mic" if kind == "audio" else "camera"


def source_of(track: PublishedTrack) -> TrackSource:
    """What a published track is to the room: its publish slot's label ("back_channel",
    "screen"), or the kind's default ("mic", "camera")."""
    label = track.label
    if label in ("back_channel", "screen"):
        return "back_channel" if label == "back_channel" else "screen"
    return default_source(track.kind)


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
        # carry one audio and one video m-line only (see docs/rtc.md, "max-bundle").
        self.rtc_room: RtcRoom = registry.create_room(room_id, listener=self, auto_subscribe=False)
        self.seats: dict[str, Seat] = {}  # peer id -> seat, every peer this room has made
        self.current: dict[Seat, SeatRelayMedia] = {}
        # A seat's previous connection, kept while its new one's tracks take over.
        self.previous: dict[Seat, SeatRelayMedia] = {}
        # The room's interpretation routing: who receives which audio (see route_audio).
        self.audio_routes: AudioRoutes = {}
        self._numbers = itertools.count(1)
        self._retiring: dict[Seat, asyncio.Task[None]] = {}
        self._changed = asyncio.Event()  # a switch finished or a track went away

    async def add_seat(
        self,
        seat: Seat,
        signal: SignalSend,
        *,
        observer: bool,
        replaces: SeatMedia | None = None,
    ) -> SeatRelayMedia:
        # A fresh peer id per connection: the seat's previous peer lives on for a moment.
        peer_id = f"{seat.value}-{next(self._numbers)}"
        media = SeatRelayMedia(self, seat, peer_id, signal)
        if replaces is not None:
            await self._keep_previous(seat, replaces)
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

    async def _keep_previous(self, seat: Seat, replaces: SeatMedia) -> None:
        if not isinstance(replaces, SeatRelayMedia) or replaces.room is not self:
            await replaces.close("replaced")
            return
        if self.current.get(seat) is replaces:
            del self.current[seat]
        older = self.previous.pop(seat, None)
        task = self._retiring.pop(seat, None)
        if task is not None:
            task.cancel()
        if older is not None and older is not replaces:
            await older.close_peer()
        self.previous[seat] = replaces
        logger.info(
            "room %s: %s keeps %s until its new connection takes over",
            self.room_id,
            seat,
            replaces.peer_id,
        )

    async def close(self) -> None:
        for task in self._retiring.values():
            task.cancel()
        self._retiring.clear()
        await self.rtc_room.close(CloseReason.ROOM_CLOSED)

    # -- what the room asks -------------------------------------------------------------------

    def route_audio(self, routes: AudioRoutes) -> None:
        self.audio_routes = dict(routes)
        for media in list(self.current.values()):
            media.apply_audio()

    def tracks_of(self, seat: Seat, kind: str, source: str) -> list[PublishedTrack]:
        """The seat's live tracks of `kind` from `source`: its current connection's, or while
        that one has none yet, its previous connection's (still feeding the others)."""
        for media in (self.current.get(seat), self.previous.get(seat)):
            peer = media.peer if media is not None else None
            if peer is None or peer.closed:
                continue
            found = [
                track
                for track in peer.tracks.values()
                if track.kind == kind and not track.closed and source_of(track) == source
            ]
            if found:
                return found
        return []

    def audio_tracks(self, seat: Seat, source: str) -> list[str]:
        return [track.id for track in self.tracks_of(seat, "audio", source)]

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

    # -- a seat's connections -----------------------------------------------------------------

    def connection_ready(self, media: SeatRelayMedia) -> None:
        """A connection's first answer is in (its tracks are published): the seat's previous
        connection goes once its tracks have been taken over."""
        if self.current.get(media.seat) is not media:
            return
        previous = self.previous.get(media.seat)
        if previous is None:
            self._release_stale(media.seat)
            return
        self._retiring[media.seat] = asyncio.create_task(
            self._retire(media.seat, previous), name=f"relay-{self.room_id}-retire-{media.seat}"
        )

    async def _retire(self, seat: Seat, previous: SeatRelayMedia) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RETIRE_AFTER_S
        while previous.feeds_anyone() and loop.time() < deadline:
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), deadline - loop.time())
        if self.previous.get(seat) is previous:
            del self.previous[seat]
        self._retiring.pop(seat, None)
        logger.info("room %s: %s retires %s", self.room_id, seat, previous.peer_id)
        await previous.close_peer()
        self._release_stale(seat)

    def _release_stale(self, seat: Seat) -> None:
        """Free the m-lines the others kept for a track of `seat` that is gone and has no
        successor (its new connection does not send that source)."""
        for media in list(self.current.values()):
            peer = media.peer
            if media.seat is seat or peer is None or peer.closed:
                continue
            for subscription in list(peer.subscriptions.values()):
                if self.seats.get(subscription.track.peer.id) is not seat:
                    continue
                if subscription.orphaned and not self.tracks_of(
                    seat, subscription.kind, source_of(subscription.track)
                ):
                    peer.unsubscribe(subscription.track.id)

    async def seat_gone(self, seat: Seat) -> None:
        """The seat left for good: its previous connection goes too, and so does every m-line
        the others kept for its tracks."""
        task = self._retiring.pop(seat, None)
        if task is not None:
            task.cancel()
        previous = self.previous.pop(seat, None)
        if previous is not None:
            await previous.close_peer()
        for media in list(self.current.values()):
            peer = media.peer
            if peer is None or peer.closed:
                continue
            for subscription in list(peer.subscriptions.values()):
                if self.seats.get(subscription.track.peer.id) is seat:
                    peer.unsubscribe(subscription.track.id)

    # -- RelayListener ------------------------------------------------------------------------

    def on_track_published(self, track: PublishedTrack) -> None:
        seat = self.seats.get(track.peer.id)
        if seat is None or not self.is_current(track.peer):
            return  # a previous connection's late answer: nobody is given that track
        # Video goes to everyone; audio to those the interpretation routing names.
        for media in list(self.current.values()):
            if not media.ready or media.seat is seat:
                continue
            if track.kind == "video":
                media.take_or_subscribe(track)
            else:
                media.apply_audio()
        self.events.media_tracks_changed()

    def on_track_unpublished(self, track: PublishedTrack, reason: CloseReason) -> None:
        self._changed.set()
        self.events.media_tracks_changed()

    def on_subscription_switched(
        self, subscription: Subscription, previous: PublishedTrack
    ) -> None:
        self._changed.set()

    def on_speaking_changed(self, track: PublishedTrack, speaking: bool) -> None:
        seat = self.seats.get(track.peer.id)
        # The microphone only: an interpreter talking to the partner on the back-channel is
        # not speaking to the room, and does not end a silent channel.
        if seat is not None and self.is_current(track.peer) and source_of(track) == "mic":
            self.events.media_speaking(seat, speaking)

    def on_active_speaker(self, room: RtcRoom, peer_id: str | None) -> None:
        self.events.media_active_speaker(self.seat_of(peer_id))

    def on_peer_closed(self, peer: Peer, reason: CloseReason) -> None:
        self._changed.set()
        seat = self.seats.get(peer.id)
        if seat is not None and reason in _FAILURES and self.is_current(peer):
            self.events.media_failed(seat, reason.value)


class SeatRelayMedia:
    """One connection's relay peer; it is the peer's signal sink and numbers the offers."""

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

    def feeds_anyone(self) -> bool:
        """Some other connection still receives one of this connection's tracks."""
        peer = self.peer
        if peer is None or peer.closed:
            return False
        return any(track.subscriptions for track in peer.tracks.values() if not track.closed)

    def apply_audio(self) -> None:
        """Receive exactly the audio the room's routing gives this seat now: per (seat,
        source), that seat's current track; a kept m-line switches to its successor."""
        peer = self.peer
        if peer is None or peer.closed or not self.ready:
            return
        wanted = {
            (seat, source)
            for seat, source in self.room.audio_routes.get(self.seat, frozenset())
            if seat is not self.seat
        }
        for track_id, subscription in list(peer.subscriptions.items()):
            if subscription.kind != "audio":
                continue
            ref = (self.room.seats.get(subscription.track.peer.id), source_of(subscription.track))
            if ref not in wanted or not self.room.forwarded(subscription.track):
                peer.unsubscribe(track_id)
        for seat, source in sorted(wanted):
            for track in self.room.tracks_of(seat, "audio", source):
                self.take_or_subscribe(track)

    def receive_video(self) -> None:
        """Every other seat's video, as it shows now."""
        for seat in Seat:
            if seat is self.seat:
                continue
            for source in VIDEO_SOURCES:
                for track in self.room.tracks_of(seat, "video", source):
                    self.take_or_subscribe(track)

    def take_or_subscribe(self, track: PublishedTrack) -> None:
        """Receive `track`: on the m-line of its predecessor (the same seat's and source's
        track of an earlier connection) if this peer has one, else on a new one."""
        peer = self.peer
        if peer is None or peer.closed or track.closed or track.peer is peer:
            return
        if track.id in peer.subscriptions or not self.room.forwarded(track):
            return
        seat = self.room.seats.get(track.peer.id)
        source = source_of(track)
        predecessor = next(
            (
                s
                for s in peer.subscriptions.values()
                if s.kind == track.kind
                and s.track.peer is not track.peer
                and self.room.seats.get(s.track.peer.id) is seat
                and source_of(s.track) == source
            ),
            None,
        )
        try:
            if predecessor is not None:
                peer.switch_subscription(predecessor.track.id, track)
            else:
                peer.subscribe(track, hold=True)
        except RtcError as exc:
            logger.warning("%s: cannot receive %s: %s", self.peer_id, track.id, exc)

    async def send(self, message: dict[str, Any]) -> None:
        """rtc's signal sink: offers get an id and describe every m-line."""
        if message.get("type") != "offer" or self.peer is None:
            logger.warning("%s: unexpected relay message %s", self.peer_id, message.get("type"))
            return
        offer_id = f"{self.peer_id}.{next(self._offers)}"
        self._offer_in_flight = offer_id
        sdp = message["sdp"]
        tracks = self.describe(sdp, message.get("mids") or {})
        await self._signal(dump(Offer(id=offer_id, sdp=sdp, tracks=tracks)))

    def describe(self, sdp: str, mids: dict[str, dict[str, Any]]) -> list[TrackInfo]:
        """Every m-line of the offer, in its order, as the client sees it."""
        lines = []
        for mid, kind in sdp_lines(sdp):
            info = mids.get(mid, {})
            direction = info.get("direction")
            line_kind: MediaKind = "audio" if kind == "audio" else "video"
            label = info.get("label")
            source: TrackSource = (
                label if label in ("back_channel", "screen") else default_source(line_kind)
            )
            if direction == "publish":
                lines.append(
                    TrackInfo(
                        mid=mid,
                        kind=line_kind,
                        direction="send",
                        seat=self.seat,
                        source=source,
                        track_id=info.get("track_id"),
                    )
                )
            elif direction == "subscribe" and self.room.seat_of(info.get("peer_id")):
                lines.append(
                    TrackInfo(
                        mid=mid,
                        kind=line_kind,
                        direction="receive",
                        seat=self.room.seat_of(info.get("peer_id")),
                        source=source,
                        track_id=info.get("track_id"),
                    )
                )
            else:
                lines.append(
                    TrackInfo(
                        mid=mid,
                        kind=line_kind,
                        direction="inactive",
                        seat=None,
                        source=None,
                        track_id=None,
                    )
                )
        return lines

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
                    self.receive_video()
                    self.apply_audio()
                    self.room.connection_ready(self)
            case IceCandidate():
                await peer.add_ice_candidate(
                    {
                        "candidate": request.candidate,
                        "sdpMid": request.sdp_mid,
                        "sdpMLineIndex": request.sdp_mline_index,
                    }
                )
            case Publish():
                source = request.source or default_source(request.kind)
                if self.seat is Seat.ORGANISER and request.kind == "audio":
                    # Its audio already flowing to the relay may now reach the others; the
                    # room's routing (organiser on air) subscribes them.
                    self.speaks = True
                label = None if source == default_source(request.kind) else source
                peer.publish(request.kind, label=label)
            case Unpublish():
                if self.seat is Seat.ORGANISER and request.kind == "audio":
                    self.speaks = False
                tracks = [
                    t
                    for t in peer.tracks.values()
                    if t.kind == request.kind
                    and (request.source is None or source_of(t) == request.source)
                ]
                if not tracks and self.seat is not Seat.ORGANISER:
                    raise NotFound(f"the seat publishes no {request.source or request.kind}")
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

    async def close_peer(self) -> None:
        """Close this connection's relay peer (idempotent); the seat's state is not touched."""
        self._closed = True
        if self.peer is not None:
            await self.peer.close(CloseReason.CLIENT_LEFT)

    async def close(self, reason: str) -> None:
        """The seat's media ends with this connection (`replaced` aside: see add_seat)."""
        if self._closed:
            return
        room = self.room
        was_current = room.current.get(self.seat) is self
        if was_current:
            del room.current[self.seat]
        await self.close_peer()
        if was_current and reason != "replaced":
            await room.seat_gone(self.seat)
