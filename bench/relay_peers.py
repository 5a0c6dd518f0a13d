"""Load peers of the relay benchmark (run in their own processes): replaying publishers and
subscribers that count packets without decoding, or decode (the late joiner)."""

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

from .relay_media import EncodedMedia, ReplayAudioTrack, ReplayVideoTrack, load

logger = logging.getLogger(__name__)


@dataclass
class SeatSpec:
    room: str
    peer: str
    publish: bool = False
    decode: bool = False  # decode what arrives (first-frame timing) instead of counting
    record: bool = False  # keep per-packet times of video for the latency figure


def _rtp_payload(data: bytes) -> bytes:
    pos = 12 + 4 * (data[0] & 0x0F)
    if data[0] & 0x10:
        pos += 4 + 4 * int.from_bytes(data[pos + 2 : pos + 4], "big")
    return data[pos:]


class Seat:
    def __init__(self, spec: SeatSpec, port: int, media: EncodedMedia) -> None:
        self.spec = spec
        self.port = port
        self.media = media
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

        async def count(packet: RtpPacket, arrival_time_ms: int) -> None:
            self.packets += 1
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


async def _run(port: int, media_path: str, specs: list[SeatSpec], stop: Any, results: Any) -> None:
    apply_host_addresses(["127.0.0.1"])
    media = load(Path(media_path))
    seats = [Seat(spec, port, media) for spec in specs]
    for seat in seats:
        await seat.start()
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, stop.wait)
    results.put([seat.result() for seat in seats])
    for seat in seats:
        await seat.close()


def run(port: int, media_path: str, specs: list[SeatSpec], stop: Any, results: Any) -> None:
    """Process entry point: join the seats, run until `stop` is set, put the results."""
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(_run(port, media_path, specs, stop, results))
