"""The node selector: which node a new room goes to (a pure rule; LiveKit's pkg/routing/selector).

A node takes a new room only below its hard limits: fewer rooms than `max_rooms`, and a CPU
share that stays under `max_cpu` with one more room's share added. Among those, the fewest
rooms wins (rooms are alike: four seats, two videos), then the lowest CPU, then the node that
answers the join (no redirect), then the id, so the same state always gives the same answer.
CPU is compared in tenths of a core: the noise of an idle node does not decide.
The claim itself is atomic in Redis (app/cluster/scripts.py): a node found full there is
skipped and the next one tried.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from app.cluster.base import SERVING, NodeRecord


def room_share(node: NodeRecord) -> float:
    """The CPU share one room costs on this node, as its open rooms cost now."""
    return node.cpu / node.open_rooms if node.open_rooms else 0.0


def projected_cpu(node: NodeRecord) -> float:
    """The node's CPU share once its placed rooms are open and one more is added."""
    pending = max(0, node.rooms - node.open_rooms)
    return node.cpu + room_share(node) * (pending + 1)


def has_room(node: NodeRecord) -> bool:
    if node.state != SERVING:
        return False
    if node.max_rooms and node.rooms >= node.max_rooms:
        return False
    return not (node.max_cpu and projected_cpu(node) > node.max_cpu)


def rank(nodes: Iterable[NodeRecord], *, prefer: str | None = None) -> list[NodeRecord]:
    """The nodes that may take a new room, best first."""
    return sorted(
        (node for node in nodes if has_room(node)),
        key=lambda node: (
            node.rooms,
            math.floor(projected_cpu(node) * 10),
            node.id != prefer,
            node.id,
        ),
    )
