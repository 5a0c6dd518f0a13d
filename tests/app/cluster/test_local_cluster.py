"""The embedded default (one process): the same admission rule as a cluster's node, and its
figures in Prometheus text format."""

from __future__ import annotations

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from app.cluster.local import LocalCluster
from app.cluster.metrics import metrics_registry
from app.settings import Settings
from rooms.clock import SystemClock
from rooms.errors import NoCapacity


def _cluster(**values: object) -> LocalCluster:
    settings = Settings(environment="test", node_id="solo", **values)  # type: ignore[arg-type]
    return LocalCluster(settings, SystemClock())


async def test_past_its_room_limit_a_process_refuses_a_new_room_but_not_a_placed_one() -> None:
    cluster = _cluster(node_max_rooms=2, admission_retry_after_seconds=20)
    assert (await cluster.place(1, mission_id=9)).new
    assert (await cluster.place(2, mission_id=9)).new
    with pytest.raises(NoCapacity) as refused:
        await cluster.place(3, mission_id=9)
    assert refused.value.retry_after == 20
    again = await cluster.place(1, mission_id=9)  # the first meeting's next seat
    assert again.local and not again.new
    await cluster.refuse(mission_id=9, meeting_id=3, retry_after=20)
    assert list(await cluster.refusals(9)) == [3]
    assert cluster.refused_joins == 1


async def test_without_a_limit_every_room_is_placed_here() -> None:
    cluster = _cluster()
    for meeting_id in range(1, 30):
        placement = await cluster.place(meeting_id, mission_id=1)
        assert placement.local and placement.node.id == "solo"


async def test_the_metrics_are_prometheus_text_with_the_node_label() -> None:
    cluster = _cluster(node_max_rooms=4)
    await cluster.place(1, mission_id=1)
    text = generate_latest(metrics_registry(cluster)).decode()
    samples = {
        sample.name: sample
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    for name in (
        "tradebooth_rooms",
        "tradebooth_seats",
        "tradebooth_packets_in_total",
        "tradebooth_packets_out_total",
        "tradebooth_nacks_received_total",
        "tradebooth_plis_received_total",
        "tradebooth_retransmissions_total",
        "tradebooth_cpu_seconds_per_1000_packets",
        "tradebooth_event_loop_lag_seconds",
        "tradebooth_joins_refused_total",
        "tradebooth_placements_total",
        "tradebooth_cluster_rooms",
        "process_cpu_seconds_total",
    ):
        assert name in samples, name
    assert samples["tradebooth_rooms"].labels == {"node": "solo"}
    assert samples["tradebooth_node_max_rooms"].value == 4
    assert samples["tradebooth_placements_total"].labels == {"node": "solo", "target": "solo"}
