"""Loss on the last hop is repaired from the relay's history as RTX (NACK)."""

from __future__ import annotations

from rtc import Room
from tests.media import wait_for

from .conftest import ClientFactory, join


def drop_one_in_twenty(sequence_number: int) -> bool:
    """5 % of the forwarded video packets, chosen by sequence number (deterministic)."""
    return sequence_number % 20 == 7


async def test_five_percent_loss_is_repaired_by_nack_and_rtx(
    room: Room, clients: ClientFactory
) -> None:
    publisher, subscriber = clients("pub"), clients("sub", publish=[])
    join(room, publisher)
    peer = join(room, subscriber, publish=())
    await wait_for(lambda: any(s.kind == "video" for s in peer.subscriptions.values()), 10)
    subscription = next(s for s in peer.subscriptions.values() if s.kind == "video")
    subscription.drop = drop_one_in_twenty

    await wait_for(
        lambda: (v := subscriber.any_video()) is not None and v.frames >= 120,
        20,
        what="4 s of video",
    )
    video = subscriber.any_video()
    assert video is not None
    stats = subscription.stats
    assert stats.dropped_by_test >= 0.04 * (stats.packets_out + stats.dropped_by_test)
    assert stats.nacks_received > 0
    assert stats.retransmissions >= stats.dropped_by_test - 5  # the last few may be in flight
    counters = video.counters
    assert counters == sorted(counters)
    assert counters[-1] - counters[0] + 1 == len(counters), "frames lost despite NACK/RTX"
    assert video.corrupt == 0
