"""The node selector: which node a new room goes to, and which nodes may take none."""

from __future__ import annotations

from app.cluster.base import DRAINING, NodeRecord
from app.cluster.selector import has_room, projected_cpu, rank


def node(name: str, **values: object) -> NodeRecord:
    return NodeRecord(id=name, url=f"http://{name}", **values)  # type: ignore[arg-type]


def test_the_fewest_rooms_win_whoever_asks() -> None:
    nodes = [node("a", rooms=3), node("b", rooms=1), node("c", rooms=2)]
    assert [n.id for n in rank(nodes, prefer="a")] == ["b", "c", "a"]


def test_equal_load_goes_to_the_node_asked_then_by_id() -> None:
    nodes = [node("a", rooms=1), node("b", rooms=1), node("c", rooms=1)]
    assert rank(nodes, prefer="c")[0].id == "c"
    assert rank(nodes)[0].id == "a"


def test_cpu_noise_of_idle_nodes_does_not_decide_but_a_loaded_core_does() -> None:
    idle = [node("a", rooms=0, cpu=0.07), node("b", rooms=0, cpu=0.02)]
    assert rank(idle, prefer="a")[0].id == "a"  # both under a tenth of a core
    busy = [node("a", rooms=2, open_rooms=2, cpu=0.6), node("b", rooms=2, open_rooms=2, cpu=0.3)]
    assert rank(busy, prefer="a")[0].id == "b"


def test_a_node_at_its_room_limit_takes_no_new_room() -> None:
    full = node("a", rooms=2, max_rooms=2)
    assert not has_room(full)
    assert has_room(node("b", rooms=1, max_rooms=2))
    assert rank([full, node("b", rooms=5)])[0].id == "b"  # no limit on b
    assert rank([full]) == []


def test_the_cpu_limit_counts_one_more_room_and_the_rooms_about_to_open() -> None:
    # Three open rooms at 0.6 of a core: 0.2 each; one placed and not open yet.
    loaded = node("a", rooms=4, open_rooms=3, cpu=0.6, max_cpu=0.85)
    assert projected_cpu(loaded) == 0.6 + 0.2 * 2
    assert not has_room(loaded)
    assert has_room(node("b", rooms=3, open_rooms=3, cpu=0.6, max_cpu=0.85))


def test_a_draining_node_keeps_its_rooms_and_takes_none() -> None:
    assert not has_room(node("a", state=DRAINING))
    assert rank([node("a", state=DRAINING), node("b", rooms=9)])[0].id == "b"
