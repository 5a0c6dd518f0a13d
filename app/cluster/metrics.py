"""`/metrics`: this node's figures in Prometheus text format (prometheus-client).

Read when scraped from the load sampler (app/cluster/load.py, one sample per heartbeat) and
the cluster's view of the nodes, so scraping costs the relay nothing. Each node serves its
own; Prometheus scrapes every node (docs/deploy.md).
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from app.cluster.local import LocalCluster


class NodeCollector(Collector):
    def __init__(self, cluster: LocalCluster) -> None:
        self.cluster = cluster

    def collect(self) -> Iterator[Metric]:
        cluster = self.cluster
        load = cluster.load
        node = cluster.node_id

        def gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
            family = GaugeMetricFamily(f"tradebooth_{name}", text, labels=["node"])
            family.add_metric([node], value)
            return family

        def counter(name: str, text: str, value: float) -> CounterMetricFamily:
            family = CounterMetricFamily(f"tradebooth_{name}", text, labels=["node"])
            family.add_metric([node], value)
            return family

        yield gauge("rooms", "Consultation rooms open on this node", load.rooms)
        yield gauge("seats", "Seats connected to rooms on this node", load.seats)
        yield gauge(
            "node_max_rooms",
            "This node's hard limit of rooms (0: none)",
            cluster.settings.node_max_rooms,
        )
        yield gauge("cpu_share", "Share of one core this process used, last interval", load.cpu)
        yield gauge(
            "cpu_seconds_per_1000_packets",
            "CPU seconds per 1000 packets forwarded, last interval",
            load.cpu_per_1000_packets,
        )
        yield gauge(
            "event_loop_lag_seconds", "Worst event-loop delay, last interval", load.loop_lag_s
        )
        yield gauge(
            "packets_in_per_second", "RTP packets received, last interval", load.packets_in_per_s
        )
        yield gauge(
            "packets_out_per_second", "RTP packets forwarded, last interval", load.packets_out_per_s
        )
        yield counter("packets_in", "RTP packets received from publishers", load.packets_in)
        yield counter("packets_out", "RTP packets forwarded to subscribers", load.packets_out)
        yield counter("nacks_received", "NACKs from subscribers", load.nacks_received)
        yield counter(
            "plis_received", "Keyframe requests (PLI) from subscribers", load.plis_received
        )
        yield counter("retransmissions", "Packets resent (RTX) for NACKs", load.retransmissions)
        yield counter("nacks_sent", "NACKs sent to publishers", load.nacks_sent)
        yield counter("plis_sent", "Keyframe requests (PLI) sent to publishers", load.plis_sent)
        yield counter(
            "joins_refused",
            "Joins refused: every node at capacity (503 / close 1013)",
            cluster.refused_joins,
        )
        placed = CounterMetricFamily(
            "tradebooth_placements",
            "New rooms this node placed, by the node chosen",
            labels=["node", "target"],
        )
        for target, count in sorted(cluster.placements.items()):
            placed.add_metric([node, target], count)
        yield placed
        rooms = GaugeMetricFamily(
            "tradebooth_cluster_rooms",
            "Meetings placed per node (open or about to open), as this node last heard",
            labels=["node", "target"],
        )
        up = GaugeMetricFamily(
            "tradebooth_cluster_node_up",
            "Nodes alive, as this node last heard",
            labels=["node", "target"],
        )
        for record in cluster.known_nodes():
            rooms.add_metric([node, record.id], record.rooms)
            up.add_metric([node, record.id], 1)
        yield rooms
        yield up


def metrics_registry(cluster: LocalCluster) -> CollectorRegistry:
    """This node's collectors: its own figures and the process's (CPU, memory, files)."""
    registry = CollectorRegistry(auto_describe=False)
    ProcessCollector(registry=registry)
    registry.register(NodeCollector(cluster))
    return registry


def install_metrics(app: FastAPI) -> None:
    @app.get(
        "/metrics",
        tags=["health"],
        summary="This node's figures in Prometheus text format",
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
    )
    async def metrics(request: Request) -> Response:
        registry: CollectorRegistry = request.app.state.metrics
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
