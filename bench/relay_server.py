"""The relay process of the benchmark: rtc/'s forwarding relay or aiortc's MediaRelay, behind
a tiny JSON-lines signalling server on loopback (one TCP connection per seat)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay

from rtc import RelayConfig, RelayRegistry, apply_host_addresses
from rtc.codecs import prefer_relay_codecs
from rtc.ingress import Ingress

LOOPBACK = ["127.0.0.1"]
logger = logging.getLogger(__name__)


class _Sink:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    async def send(self, message: dict[str, Any]) -> None:
        self._writer.write(json.dumps(message).encode() + b"\n")
        await self._writer.drain()


class LatencyProbe:
    """Time the relay adds to a packet, measured inside the relay process: the forwarding
    work per incoming packet (rtc forwards synchronously, from the socket callback to the
    last subscriber's sendto) and the event loop's lag, which bounds how long a datagram
    waits in its socket before the loop reads it. p99 of each, added, is reported."""

    def __init__(self) -> None:
        self.processing: list[float] = []
        self.lag: list[float] = []
        self.recording = False
        self._task: asyncio.Task[None] | None = None
        self._original = Ingress.process

    def _install(self) -> None:
        """Wrap the ingress while measuring only: the wrapper's own call costs CPU."""
        original = self._original
        processing = self.processing

        def process(ingress: Ingress, packet: Any, now: float) -> None:
            start = time.perf_counter()
            original(ingress, packet, now)
            processing.append(time.perf_counter() - start)

        Ingress.process = process  # type: ignore[method-assign,assignment]

    async def run(self) -> None:
        interval = 0.005
        while True:
            start = time.perf_counter()
            await asyncio.sleep(interval)
            if self.recording:
                self.lag.append(max(0.0, time.perf_counter() - start - interval))

    def start(self) -> None:
        self.processing.clear()
        self.lag.clear()
        self.recording = True
        self._install()
        # its own wake-ups cost CPU: run only while measuring latency, not CPU
        self._task = asyncio.ensure_future(self.run())

    def result(self) -> dict[str, float]:
        self.recording = False
        Ingress.process = self._original  # type: ignore[method-assign]
        if self._task is not None:
            self._task.cancel()
            self._task = None

        def ms(values: list[float], fraction: float) -> float:
            ordered = sorted(values) or [0.0]
            return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000

        return {
            "processing_p50_ms": ms(self.processing, 0.5),
            "processing_p99_ms": ms(self.processing, 0.99),
            "loop_lag_p50_ms": ms(self.lag, 0.5),
            "loop_lag_p99_ms": ms(self.lag, 0.99),
            "samples": float(len(self.processing)),
        }


class ForwardingRelay:
    def __init__(self) -> None:
        self.registry = RelayRegistry(RelayConfig(ice_host_addresses=LOOPBACK))
        self.probe = LatencyProbe()

    async def seat(
        self, join: dict[str, Any], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        room = self.registry.rooms.get(join["room"]) or self.registry.create_room(join["room"])
        peer = room.add_peer(join["peer"], _Sink(writer), publish=join["publish"])
        try:
            while line := await reader.readline():
                message = json.loads(line)
                if message["type"] == "answer":
                    await peer.handle_answer(message["sdp"])
        finally:
            await peer.close()
            if not room.peers:
                await room.close()

    def stats(self) -> dict[str, Any]:
        rooms: dict[str, Any] = {}
        packets_out = packets_in = 0
        for room in self.registry.rooms.values():
            peers = {}
            for peer in room.peers.values():
                s = peer.stats()
                peers[peer.id] = {"packets_in": s.packets_in, "packets_out": s.packets_out}
                packets_out += s.packets_out
                packets_in += s.packets_in
            rooms[room.id] = {"tracks": len(room.tracks), "peers": peers}
        return {"rooms": rooms, "packets_out": packets_out, "packets_in": packets_in}


class DecodingRelay:
    """aiortc's MediaRelay: decode each published track once, encode per subscriber.
    Publishers must join before their subscribers (no renegotiation here)."""

    def __init__(self) -> None:
        apply_host_addresses(LOOPBACK)
        self.relay = MediaRelay()
        self.rooms: dict[str, dict[str, Any]] = {}

    async def seat(
        self, join: dict[str, Any], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        room = self.rooms.setdefault(join["room"], {"tracks": [], "peers": {}})
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        room["peers"][join["peer"]] = pc
        if join["publish"]:
            pc.on("track", lambda track: room["tracks"].append(track))
            for kind in join["publish"]:
                prefer_relay_codecs(pc.addTransceiver(kind, direction="recvonly"))
        else:
            for track in room["tracks"]:
                prefer_relay_codecs(pc.addTransceiver(self.relay.subscribe(track), "sendonly"))
        await pc.setLocalDescription(await pc.createOffer())
        await _Sink(writer).send({"type": "offer", "sdp": pc.localDescription.sdp})
        try:
            while line := await reader.readline():
                message = json.loads(line)
                if message["type"] == "answer":
                    await pc.setRemoteDescription(
                        RTCSessionDescription(sdp=message["sdp"], type="answer")
                    )
        finally:
            await pc.close()
            room["peers"].pop(join["peer"], None)

    def stats(self) -> dict[str, Any]:
        rooms: dict[str, Any] = {}
        packets_out = 0
        for room_id, room in self.rooms.items():
            peers = {}
            for peer_id, pc in room["peers"].items():
                sent = sum(
                    getattr(s, "_RTCRtpSender__packet_count")  # noqa: B009
                    for s in pc.getSenders()
                    if s.track is not None
                )
                peers[peer_id] = {"packets_in": 0, "packets_out": sent}
                packets_out += sent
            rooms[room_id] = {"tracks": len(room["tracks"]), "peers": peers}
        return {"rooms": rooms, "packets_out": packets_out, "packets_in": 0}


def connection_handler(
    relay: ForwardingRelay | DecodingRelay,
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    """The signalling server's connection handler: a seat's join, or a stats/latency ask."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            first = json.loads(await reader.readline())
            if first["type"] == "join":
                await relay.seat(first, reader, writer)
            elif first["type"] == "stats":
                writer.write(json.dumps(relay.stats()).encode() + b"\n")
                await writer.drain()
            elif first["type"] == "latency" and isinstance(relay, ForwardingRelay):
                if first.get("action") == "start":
                    relay.probe.start()
                    reply: dict[str, Any] = {}
                else:
                    reply = relay.probe.result()
                writer.write(json.dumps(reply).encode() + b"\n")
                await writer.drain()
        except (ConnectionError, json.JSONDecodeError):
            pass
        finally:
            writer.close()

    return handle


async def serve(mode: str, ready: Any, stop: Any) -> None:
    relay: ForwardingRelay | DecodingRelay = (
        ForwardingRelay() if mode == "forwarding" else DecodingRelay()
    )
    server = await asyncio.start_server(connection_handler(relay), "127.0.0.1", 0)
    ready.send(server.sockets[0].getsockname()[1])
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, stop.wait)
    server.close()
    if isinstance(relay, ForwardingRelay):
        await relay.registry.close()


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """The event loop the service runs on: uvicorn's "auto" picks uvloop when it is
    installed (uvicorn[standard] installs it), so the relay is measured on it too."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop
    return uvloop.new_event_loop  # type: ignore[no-any-return]


def run(mode: str, ready: Any, stop: Any) -> None:
    """Process entry point: serve until `stop` (a multiprocessing Event) is set."""
    logging.basicConfig(level=logging.WARNING)
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        runner.run(serve(mode, ready, stop))
