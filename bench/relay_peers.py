"""Load peers of the relay benchmark (run in their own processes): replaying publishers and
subscribers that count packets without decoding, or decode (the late joiner), signalled by
the relay's benchmark server or by Janus's VideoRoom (the same media and counting)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtp import RtpPacket

from rtc import apply_host_addresses
from rtc.codecs import prefer_relay_codecs

from .relay_janus import ERROR_NO_SUCH_FEED, JanusError, JanusSession, plugin_data
from .relay_media import EncodedMedia, ReplayAudioTrack, ReplayVideoTrack, load

logger = logging.getLogger(__name__)


@dataclass
class SeatSpec:
    room: str
    peer: str
    publish: bool = False
    decode: bool = False  # decode what arrives (first-frame timing) instead of counting
    record: bool = False  # keep per-packet times of video for the latency figure
    janus_id: int = 0  # against Janus: this seat's publisher id (if it publishes)
    feeds: tuple[int, ...] = ()  # against Janus: the publishers it subscribes to


def _rtp_payload(data: bytes) -> bytes:
    pos = 12 + 4 * (data[0] & 0x0F)
    if data[0] & 0x10:
        pos += 4 + 4 * int.from_bytes(data[pos + 2 : pos + 4], "big")
    return data[pos:]


class Seat:
    """A seat signalled by the relay's benchmark server (which makes every offer)."""

    def __init__(
        self, spec: SeatSpec, port: int, media: EncodedMedia, counters: Any, index: int
    ) -> None:
        self.spec = spec
        self.port = port
        self.media = media
        self.counters = counters  # packets received per seat, read by the benchmark
        self.index = index
        self.pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        self.pc.on("track", self._on_track)
        self.tracks: list[MediaStreamTrack] = (
            [ReplayAudioTrack(media), ReplayVideoTrack(media)] if spec.publish else []
        )
        self.sent_at: dict[int, float] = {}
        self.received_at: list[tuple[int, float]] = []
        self.packets = 0
        self.joined_at = 0.0
        self.first_frame_at: float | None = None
        self.first_keyframe_at: float | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._writer: asyncio.StreamWriter | None = None
        self._wrapped_transports: set[int] = set()

    async def start(self) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        self._writer = writer
        self.joined_at = time.time()
        publish = ["audio", "video"] if self.spec.publish else []
        join = {"type": "join", "room": self.spec.room, "peer": self.spec.peer, "publish": publish}
        writer.write(json.dumps(join).encode() + b"\n")
        self._tasks.append(asyncio.ensure_future(self._signalling(reader, writer)))

    async def _signalling(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            message = json.loads(line)
            if message["type"] == "offer":
                sdp = await self._answer(message["sdp"])
                writer.write(json.dumps({"type": "answer", "sdp": sdp}).encode() + b"\n")

    async def _answer(self, offer: str) -> str:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        for transceiver in self.pc.getTransceivers():
            sender: Any = transceiver.sender
            if transceiver._offerDirection not in ("sendonly", "sendrecv") or sender.track:
                continue
            track = next((t for t in self.tracks if t.kind == transceiver.kind), None)
            if track is None:
                continue
            self.tracks.remove(track)
            sender.replaceTrack(track)
            transceiver.direction = "sendonly"
            if isinstance(track, ReplayVideoTrack):
                sender._send_keyframe = track.request_keyframe  # answer PLI at once
            if self.spec.record and id(sender.transport) not in self._wrapped_transports:
                self._wrapped_transports.add(id(sender.transport))
                self._record_sends(sender.transport)
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return str(self.pc.localDescription.sdp)

    def _record_sends(self, transport: Any) -> None:
        send = transport._send_rtp
        sent_at = self.sent_at

        async def send_rtp(data: bytes) -> None:
            if not 192 <= data[1] <= 223:  # RTP, not RTCP
                sent_at[zlib.crc32(_rtp_payload(data))] = time.time()
            await send(data)

        transport._send_rtp = send_rtp

    def _on_track(self, track: MediaStreamTrack) -> None:
        if self.spec.decode:
            self._tasks.append(asyncio.ensure_future(self._consume(track)))
            return
        receiver: Any = next(
            t.receiver for t in self.pc.getTransceivers() if t.receiver.track is track
        )
        video = track.kind == "video"
        counters, index = self.counters, self.index

        async def count(packet: RtpPacket, arrival_time_ms: int) -> None:
            self.packets += 1
            counters[index] += 1
            if video:
                now = time.time()
                if (
                    self.first_keyframe_at is None
                    and packet.payload[:1]
                    and not (packet.payload[0] & 0x07)
                ):
                    self.first_keyframe_at = now
                if self.spec.record:
                    self.received_at.append((zlib.crc32(packet.payload), now))

        receiver._handle_rtp_packet = count

    async def _consume(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()
                if track.kind == "video" and self.first_frame_at is None:
                    self.first_frame_at = time.time()

    def result(self) -> dict[str, Any]:
        return {
            "peer": self.spec.peer,
            "packets": self.packets,
            "first_frame_s": None
            if self.first_frame_at is None
            else self.first_frame_at - self.joined_at,
            "sent_at": self.sent_at,
            "received_at": self.received_at,
        }

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._writer is not None:
            self._writer.close()
        await self.pc.close()


def _check_loopback_candidates(sdp: str) -> None:
    """Janus must offer 127.0.0.1 only (it runs in a loopback-only namespace): refuse else."""
    for line in sdp.splitlines():
        if line.startswith("a=candidate:") and line.split()[4] != "127.0.0.1":
            raise JanusError(f"Janus offered a candidate off 127.0.0.1: {line}")


class JanusSeat(Seat):
    """A seat signalled by Janus's VideoRoom over its HTTP API: it publishes on a
    PeerConnection of its own ("joinandconfigure" with its offer) and subscribes to
    `spec.feeds` on another ("join" as subscriber, Janus offers, "start" with the answer),
    as Janus's clients do. Media, PLI answering and packet counting are the relay seat's."""

    def __init__(
        self, spec: SeatSpec, url: str, media: EncodedMedia, counters: Any, index: int
    ) -> None:
        super().__init__(spec, 0, media, counters, index)
        self.session = JanusSession(url)
        self.publisher_pc: RTCPeerConnection | None = None

    async def start(self) -> None:
        self.joined_at = time.time()
        await self.session.create()
        if self.spec.publish:
            await self._publish()
        if self.spec.feeds:
            self._tasks.append(asyncio.ensure_future(self._subscribe()))

    async def _publish(self) -> None:
        pc = self.publisher_pc = RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )
        for track in self.tracks:
            transceiver = pc.addTransceiver(track, direction="sendonly")
            prefer_relay_codecs(transceiver)
            if isinstance(track, ReplayVideoTrack):
                sender: Any = transceiver.sender
                sender._send_keyframe = track.request_keyframe  # answer PLI at once
        self.tracks = []
        await pc.setLocalDescription(await pc.createOffer())
        handle = await self.session.attach()
        body = {
            "request": "joinandconfigure",
            "room": int(self.spec.room),
            "ptype": "publisher",
            "id": self.spec.janus_id,
            "display": self.spec.peer,
        }
        event = await self.session.request(
            handle, body, {"type": "offer", "sdp": pc.localDescription.sdp}
        )
        if plugin_data(event).get("videoroom") != "joined" or "jsep" not in event:
            raise JanusError(f"{self.spec.peer}: publishing refused: {event}")
        _check_loopback_candidates(event["jsep"]["sdp"])
        await pc.setRemoteDescription(
            RTCSessionDescription(sdp=event["jsep"]["sdp"], type="answer")
        )

    async def _subscribe(self) -> None:
        handle = await self.session.attach()
        body = {
            "request": "join",
            "room": int(self.spec.room),
            "ptype": "subscriber",
            "streams": [{"feed": feed} for feed in self.spec.feeds],
        }
        deadline = time.monotonic() + 60
        while True:  # a feed not published yet: ask again (the load peers start together)
            event = await self.session.request(handle, body)
            data = plugin_data(event)
            if data.get("error_code") != ERROR_NO_SUCH_FEED or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.2)
        if data.get("videoroom") != "attached" or "jsep" not in event:
            raise JanusError(f"{self.spec.peer}: subscribing refused: {event}")
        _check_loopback_candidates(event["jsep"]["sdp"])
        await self.pc.setRemoteDescription(
            RTCSessionDescription(sdp=event["jsep"]["sdp"], type="offer")
        )
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        event = await self.session.request(
            handle, {"request": "start"}, {"type": "answer", "sdp": self.pc.localDescription.sdp}
        )
        if plugin_data(event).get("started") != "ok":
            raise JanusError(f"{self.spec.peer}: start refused: {event}")

    async def close(self) -> None:
        await super().close()
        if self.publisher_pc is not None:
            await self.publisher_pc.close()
        await self.session.close()


async def _run(
    target: int | str,
    media_path: str,
    specs: list[SeatSpec],
    stop: Any,
    results: Any,
    counters: Any,
) -> None:
    apply_host_addresses(["127.0.0.1"])
    media = load(Path(media_path))
    seats = [
        JanusSeat(spec, target, media, counters, i)
        if isinstance(target, str)
        else Seat(spec, target, media, counters, i)
        for i, spec in enumerate(specs)
    ]
    for seat in seats:
        await seat.start()
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, stop.wait)
    results.put([seat.result() for seat in seats])
    for seat in seats:
        await seat.close()


def run(
    target: int | str,
    media_path: str,
    specs: list[SeatSpec],
    stop: Any,
    results: Any,
    counters: Any,
) -> None:
    """Process entry point: join the seats (to the relay's benchmark server on port
    `target`, or to Janus at URL `target`), run until `stop` is set, put the results."""
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(_run(target, media_path, specs, stop, results, counters))
