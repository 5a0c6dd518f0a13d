"""Three seats all-to-all; one leaves and the others keep receiving; join/leave cycles leak
nothing (tasks, transceivers, memory)."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import weakref

import psutil

from rtc import CloseReason, PublishedTrack, RelayListener, Room
from rtc.peer import Peer
from tests.media import LoopbackClient, ToneAudioTrack, wait_for

from .conftest import ClientFactory, join

CYCLES = 100


class Recorder(RelayListener):
    def __init__(self) -> None:
        self.published: list[str] = []
        self.unpublished: list[tuple[str, CloseReason]] = []
        self.closed: list[tuple[str, CloseReason]] = []

    def on_track_published(self, track: PublishedTrack) -> None:
        self.published.append(track.id)

    def on_track_unpublished(self, track: PublishedTrack, reason: CloseReason) -> None:
        self.unpublished.append((track.id, reason))

    def on_peer_closed(self, peer: Peer, reason: CloseReason) -> None:
        self.closed.append((peer.id, reason))


def frames_from(client: LoopbackClient, publisher: str) -> int:
    """Video frames `client` decoded from `publisher`'s tracks (track ids are peer.mid)."""
    return sum(v.frames for v in client.video.values() if v.track_id.startswith(publisher + "."))


async def test_all_to_all_then_one_leaves(registry: object, clients: ClientFactory) -> None:
    from rtc import RelayRegistry

    assert isinstance(registry, RelayRegistry)
    recorder = Recorder()
    room = registry.create_room("trio", listener=recorder)
    seats = {
        name: clients(name, measure_psnr=False) for name in ("company", "buyer", "interpreter")
    }
    peers = {name: join(room, client) for name, client in seats.items()}

    for name, client in seats.items():
        for other in seats:
            if other != name:
                await wait_for(
                    lambda c=client, o=other: frames_from(c, o) >= 10, 20, what=f"{name}<-{other}"
                )
                audio = [a for a in client.audio.values() if a.track_id.startswith(other + ".")]
                assert audio and audio[0].frames > 0
    assert len(room.tracks) == 6
    assert all(len(p.subscriptions) == 4 for p in peers.values())

    await peers["interpreter"].close()
    await seats["interpreter"].close()
    assert recorder.closed == [("interpreter", CloseReason.CLIENT_LEFT)]
    assert [r for _, r in recorder.unpublished] == [CloseReason.PUBLISHER_CLOSED] * 2
    assert set(room.peers) == {"company", "buyer"}
    assert len(room.tracks) == 4
    assert all(len(p.subscriptions) == 2 for p in room.peers.values())

    before = {n: frames_from(seats[n], o) for n, o in (("company", "buyer"), ("buyer", "company"))}
    await wait_for(
        lambda: (
            frames_from(seats["company"], "buyer") > before["company"] + 30
            and frames_from(seats["buyer"], "company") > before["buyer"] + 30
        ),
        10,
        what="the two remaining seats still receiving each other",
    )
    await peers["interpreter"].close()  # idempotent: emits once
    assert len(recorder.closed) == 1


async def test_a_seat_joining_a_busy_room_receives_every_track(
    room: Room, clients: ClientFactory
) -> None:
    """Its first offer has several m-lines of each kind (its publish slots and one per
    existing track): every one must carry media (one transport, max-bundle)."""
    early = [clients(name, measure_psnr=False) for name in ("company", "buyer")]
    for client in early:
        join(room, client)
    await wait_for(lambda: len(room.tracks) == 4, 15, what="the first two seats' tracks")
    late = clients("interpreter", measure_psnr=False)
    join(room, late)
    for name in ("company", "buyer"):
        await wait_for(lambda n=name: frames_from(late, n) >= 10, 20, what=f"video from {name}")
        audio = [a for a in late.audio.values() if a.track_id.startswith(name + ".")]
        await wait_for(lambda a=audio: a and a[0].frames >= 10, 10, what=f"audio from {name}")
    for client in early:
        await wait_for(lambda c=client: frames_from(c, "interpreter") >= 10, 20, what="back")


def settled_rss() -> int:
    """Resident memory with freed heap handed back to the system: glibc keeps freed arenas
    (fragmented by codec buffers of earlier tests) otherwise, which is not memory in use."""
    gc.collect()
    if (libc := ctypes.util.find_library("c")) is not None:
        ctypes.CDLL(libc).malloc_trim(0)
    return int(psutil.Process().memory_info().rss)


def transceiver_count(room: Room) -> int:
    return sum(len(p.pc.getTransceivers()) for p in room.peers.values())


async def test_join_leave_cycles_leak_nothing(room: Room, clients: ClientFactory) -> None:
    seats = [clients("company", measure_psnr=False), clients("buyer", measure_psnr=False)]
    for seat in seats:
        join(room, seat)
    for seat in seats:
        await wait_for(lambda s=seat: (v := s.any_video()) is not None and v.frames > 5, 20)

    kind_of = {t.id: f"{t.kind}." for t in room.tracks.values()}

    async def cycle(i: int) -> None:
        guest = LoopbackClient(f"guest{i}", publish=[ToneAudioTrack(300.0)], decode=False)
        peer = room.add_peer(guest.name, guest, publish=("audio",))
        guest.connect(peer.handle_answer)
        await wait_for(lambda: peer.connection_state == "connected", 10, what="guest ICE")
        await wait_for(
            lambda: len(room.tracks) == 5 and not any(p.negotiating for p in room.peers.values()),
            10,
            what="guest's track published and subscribed",
        )
        # audio flows at once; video waits for a keyframe: check it every tenth cycle
        kinds = ("audio.", "video.") if i % 10 == 0 else ("audio.",)
        await wait_for(
            lambda: (
                len(guest.packets) == 4
                and all(n for t, n in guest.packets.items() if kind_of[t].startswith(kinds))
            ),
            15,
            what=f"media of {kinds} tracks to guest {i}",
        )
        await peer.close()
        await guest.close()
        await wait_for(
            lambda: not any(p.negotiating for p in room.peers.values()), 10, what="settled"
        )
        gone.extend(weakref.ref(obj) for obj in (peer, peer.pc, guest))

    gone: list[weakref.ref[object]] = []  # every cycle's relay peer, its connection, the guest

    async def settled_tasks() -> int:
        gc.collect()
        await asyncio.sleep(0)
        return len(asyncio.all_tasks())

    for i in range(5):  # warm up: first transceivers, caches, codec contexts
        await cycle(i)
    tasks_before = await settled_tasks()
    transceivers_before = transceiver_count(room)
    rss_before = settled_rss()

    for i in range(5, 5 + CYCLES):
        await cycle(i)

    assert transceiver_count(room) == transceivers_before  # inactive ones are reused
    assert len(room.peers) == 2 and len(room.tracks) == 4
    await wait_for(
        lambda: len(asyncio.all_tasks()) <= tasks_before, 10, what="tasks back to before"
    )
    growth_mb = (settled_rss() - rss_before) / 1e6
    assert growth_mb < 40, f"RSS grew {growth_mb:.1f} MB over {CYCLES} cycles"
    gc.collect()
    alive = [type(obj).__name__ for ref in gone if (obj := ref()) is not None]
    assert alive == [], f"{len(alive)} of {len(gone)} closed objects still referenced: {alive[:6]}"
    # the seats that stayed still receive each other
    frames = seats[0].any_video()
    assert frames is not None
    count = frames.frames
    await wait_for(lambda: frames.frames > count + 15, 10, what="video after the cycles")
