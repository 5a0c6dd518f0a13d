"""The relay's per-packet forwarding path alone, in one process: CPU microseconds per packet.

`python -m bench.relay_hotpath` sets up the benchmark's relay (rtc/, on the event loop the
service uses) with one publisher and N subscribers, all real aiortc peers on loopback in
this process. Once media flows, the publisher's own sending is stopped and the same media
(packetized as aiortc packetizes it, SRTP-protected with the publisher's own session,
numbering continued) is handed straight to the relay's socket callback in a timed loop:
unprotect, parse, statistics, NACK bookkeeping, rewrite, protect and `sendto` to each
subscriber. The subscribers' loop does not run while timing, so their wake-ups (a cost of
the machine, paid in bench.relay) are not in these figures: this isolates the Python work
the forwarding path does per packet, to compare versions of it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
from typing import Any

from aiortc.codecs.vpx import Vp8Encoder
from aiortc.rtp import RtpPacket

from rtc.rtp import ntp_now

from .relay_media import FPS, OPUS_SAMPLES, cached, load
from .relay_peers import Seat, SeatSpec
from .relay_server import ForwardingRelay, connection_handler, loop_factory

BATCH = 500  # packets handed over per timed batch; the loop runs between batches


class _Counters(list[int]):
    pass


def _packets(media: Any, publisher: Any, relay_peer: Any, count: int) -> list[bytes]:
    """`count` SRTP packets continuing the publisher's streams as its senders would send
    them (audio every 20 ms, a video frame's packets every 1/30 s)."""
    pc = publisher.pc
    dtls = next(t.sender.transport for t in pc.getTransceivers())
    protect = dtls._tx_srtp.protect
    streams: dict[str, dict[str, Any]] = {}
    for transceiver in pc.getTransceivers():
        sender: Any = transceiver.sender
        ssrc = sender._ssrc
        ingress = next(
            slot.ingress
            for slot in relay_peer._slots
            if slot.ingress is not None and ssrc in slot.ingress._streams
        )
        last = ingress._streams[ssrc]
        streams[transceiver.kind] = {
            "ssrc": ssrc,
            "map": sender._RTCRtpSender__rtp_header_extensions_map,
            "payload_type": transceiver._codecs[0].payloadType,
            "mid": transceiver.mid,
            "seq": (last.max_seq + 1) & 0xFFFF,
            "ts": last._last_timestamp,
        }
    out: list[bytes] = []
    video_frame = 0
    audio_index = 0
    next_audio = next_video = 0.0
    while len(out) < count:
        if next_audio <= next_video:
            s = streams["audio"]
            payloads = [media.audio[audio_index % len(media.audio)]]
            s["ts"] = (s["ts"] + OPUS_SAMPLES) & 0xFFFFFFFF
            audio_index += 1
            next_audio += OPUS_SAMPLES / 48000
        else:
            s = streams["video"]
            frame = media.video[video_frame % len(media.video)]
            payloads = Vp8Encoder._packetize(frame, video_frame & 0x7FFF)
            s["ts"] = (s["ts"] + 90000 // FPS) & 0xFFFFFFFF
            video_frame += 1
            next_video += 1 / FPS
        for i, payload in enumerate(payloads):
            packet = RtpPacket(payload_type=s["payload_type"], sequence_number=s["seq"])
            packet.timestamp = s["ts"]
            packet.ssrc = s["ssrc"]
            packet.payload = payload
            packet.marker = 1 if i == len(payloads) - 1 else 0
            packet.extensions.mid = s["mid"]
            packet.extensions.abs_send_time = (ntp_now() >> 14) & 0xFFFFFF
            if s is streams["audio"]:
                packet.extensions.audio_level = (False, 30)
            out.append(protect(packet.serialize(s["map"])))
            s["seq"] = (s["seq"] + 1) & 0xFFFF
    return out[:count]


async def _measure(subscribers: int, packets: int, bitrate: int, rounds: int) -> dict[str, Any]:
    media = load(cached(bitrate=bitrate))
    relay = ForwardingRelay()
    server = await asyncio.start_server(connection_handler(relay), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    counters = _Counters([0] * (subscribers + 1))
    publisher = Seat(SeatSpec("hot", "pub", publish=True), port, media, counters, 0)
    subs = [
        Seat(SeatSpec("hot", f"sub{i}"), port, media, counters, i + 1) for i in range(subscribers)
    ]
    for seat in [publisher, *subs]:
        await seat.start()
    deadline = time.monotonic() + 60
    while min(counters[1:]) < 100:
        if time.monotonic() > deadline:
            raise RuntimeError("media did not reach every subscriber")
        await asyncio.sleep(0.05)
    # stop the publisher's own media; what follows is handed to the relay directly
    for sender in publisher.pc.getSenders():
        setattr(sender, "_RTCRtpSender__track", None)  # noqa: B010
    await asyncio.sleep(0.3)
    room = relay.registry.rooms["hot"]
    relay_peer: Any = room.peers["pub"]
    if not relay_peer._fast_path_installed:
        raise RuntimeError("the relay's ingress fast path is not installed")
    dtls = relay_peer._slots[0].transceiver.receiver.transport
    protocol = dtls.transport._connection._nominated[1].protocol
    addr = dtls.transport._connection._nominated[1].remote_addr
    out_before = sum(p.stats().packets_out for p in room.peers.values())
    per_packet: list[float] = []
    for _ in range(rounds):
        data = _packets(media, publisher, relay_peer, packets)
        received = protocol.datagram_received
        cpu = 0.0
        for start in range(0, len(data), BATCH):
            begin = time.thread_time()
            for datagram in data[start : start + BATCH]:
                received(datagram, addr)
            cpu += time.thread_time() - begin
            await asyncio.sleep(0.02)  # the subscribers read; RTCP runs
        per_packet.append(cpu / len(data) * 1e6)
    sent = sum(p.stats().packets_out for p in room.peers.values()) - out_before
    for seat in [publisher, *subs]:
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(seat.close(), 5)
    server.close()
    await relay.registry.close()
    return {
        "us_per_packet": statistics.median(per_packet),
        "rounds": per_packet,
        "forwarded": sent,
        "expected": rounds * packets * subscribers,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, nargs="+", default=[2, 8])
    parser.add_argument("--bitrate", type=int, default=1_600_000)
    parser.add_argument("--packets", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    figures = {}
    for n in args.subscribers:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            result = runner.run(_measure(n, args.packets, args.bitrate, args.rounds))
        rounds = " ".join(f"{r:.1f}" for r in result["rounds"])
        print(
            f"1 -> {n} at {args.bitrate // 1000} kbps: {result['us_per_packet']:.1f} CPU-us per "
            f"incoming packet (rounds {rounds}); forwarded {result['forwarded']} of "
            f"{result['expected']}",
            flush=True,
        )
        figures[f"us_per_packet_{n}subs"] = f"{result['us_per_packet']:.1f}"
    print(" ".join(f"{k}={v}" for k, v in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
