"""A room: its peers, their published tracks, who receives what, and the active speaker."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .config import RelayConfig
from .errors import PeerExists, RoomClosed, UnknownPeer, UnknownTrack
from .events import CloseReason, RelayListener, SignalSink
from .peer import Peer
from .stats import PeerStats
from .track import PublishedTrack

if TYPE_CHECKING:
    from .registry import RelayRegistry

logger = logging.getLogger(__name__)

DEFAULT_PUBLISH = ("audio", "video")


class Room:
    """Peers keyed by id and the tracks they publish keyed by track id.

    With `auto_subscribe` (the default) every peer receives every other peer's tracks.
    Without it the caller decides, e.g. from the interpreter routing rule, with
    `set_subscriptions` or `Peer.subscribe`/`unsubscribe`; rtc/ only applies it.
    """

    def __init__(
        self,
        registry: RelayRegistry,
        room_id: str,
        config: RelayConfig,
        *,
        listener: RelayListener | None = None,
        auto_subscribe: bool = True,
    ) -> None:
        self.id = room_id
        self.registry = registry
        self.listener = listener
        self.auto_subscribe = auto_subscribe
        self.peers: dict[str, Peer] = {}
        self.tracks: dict[str, PublishedTrack] = {}
        self.active_speaker: str | None = None
        self.closed = False
        self.close_reason: CloseReason | None = None
        self._config = config

    def __repr__(self) -> str:
        return f"Room({self.id!r}, peers={list(self.peers)})"

    def add_peer(
        self,
        peer_id: str,
        signal_sink: SignalSink,
        *,
        listener: RelayListener | None = None,
        publish: Iterable[str] = DEFAULT_PUBLISH,
    ) -> Peer:
        """Add a peer; the server's first offer (publish slots for `publish` kinds and,
        with auto-subscribe, the others' tracks) goes to `signal_sink` right away."""
        if self.closed:
            raise RoomClosed(f"room {self.id} is closed")
        if peer_id in self.peers:
            raise PeerExists(f"peer {peer_id} is already in room {self.id}")
        peer = Peer(self, peer_id, signal_sink, self._config, listener=listener)
        self.peers[peer_id] = peer
        logger.info("room %s: peer %s joins", self.id, peer_id)
        for kind in publish:
            peer.publish(kind)
        if self.auto_subscribe:
            for track in self.tracks.values():
                if track.peer is not peer:
                    peer.subscribe(track)
        return peer

    def get_peer(self, peer_id: str) -> Peer:
        try:
            return self.peers[peer_id]
        except KeyError:
            raise UnknownPeer(f"no peer {peer_id} in room {self.id}") from None

    def get_track(self, track_id: str) -> PublishedTrack:
        try:
            return self.tracks[track_id]
        except KeyError:
            raise UnknownTrack(f"no track {track_id} in room {self.id}") from None

    def set_subscriptions(self, peer_id: str, track_ids: Iterable[str]) -> None:
        """Make `peer_id` receive exactly these tracks (one renegotiation for the change)."""
        peer = self.get_peer(peer_id)
        wanted = {track_id: self.get_track(track_id) for track_id in track_ids}
        for track_id in list(peer.subscriptions):
            if track_id not in wanted:
                peer.unsubscribe(track_id)
        for track in wanted.values():
            peer.subscribe(track)

    async def close(self, reason: CloseReason = CloseReason.ROOM_CLOSED) -> None:
        """Close every peer (each hears the reason) and leave the registry. Idempotent."""
        if self.closed:
            return
        self.closed = True
        self.close_reason = reason
        logger.info("room %s closing (%s)", self.id, reason.value)
        await asyncio.gather(*(peer.close(reason) for peer in list(self.peers.values())))
        self.registry._remove_room(self)
        self.listener = None

    def stats(self) -> list[PeerStats]:
        return [peer.stats() for peer in self.peers.values()]

    # --- from children -------------------------------------------------------------------

    def _add_track(self, track: PublishedTrack) -> None:
        self.tracks[track.id] = track
        self._emit("on_track_published", track, peer=track.peer)
        if self.auto_subscribe:
            for peer in self.peers.values():
                if peer is not track.peer and not peer.closed:
                    peer.subscribe(track)

    def _remove_track(self, track: PublishedTrack, reason: CloseReason) -> None:
        if self.tracks.get(track.id) is track:
            del self.tracks[track.id]
            self._emit("on_track_unpublished", track, reason, peer=track.peer)
        if track.speaking:
            track.speaking = False
            self._on_speaking_changed(track)

    def _remove_peer(self, peer: Peer) -> None:
        if self.peers.get(peer.id) is peer:
            del self.peers[peer.id]
            logger.info("room %s: peer %s left", self.id, peer.id)

    def _on_speaking_changed(self, track: PublishedTrack) -> None:
        self._emit("on_speaking_changed", track, track.speaking, peer=track.peer)
        speaking = [t for t in self.tracks.values() if t.speaking]
        loudest = max(speaking, key=lambda t: t.level_dbov, default=None)
        if loudest is None:
            active = None
        elif self.active_speaker is not None and any(
            t.peer.id == self.active_speaker for t in speaking
        ):
            active = self.active_speaker  # keep the floor while still speaking
        else:
            active = loudest.peer.id
        if active != self.active_speaker:
            self.active_speaker = active
            logger.debug("room %s: active speaker %s", self.id, active)
            self._emit("on_active_speaker", self, active)

    def _emit(self, name: str, *args: Any, peer: Peer | None = None) -> None:
        listeners = [self.listener]
        if peer is not None and peer.listener is not self.listener:
            listeners.append(peer.listener)
        for listener in listeners:
            if listener is None:
                continue
            try:
                getattr(listener, name)(*args)
            except Exception:
                logger.exception("room %s: listener %s.%s failed", self.id, listener, name)
