"""`python -m app --nodes 2` as an operator runs it (docs/deploy.md): two node processes behind
one entry port, each with its own port; a node killed is started again; SIGTERM stops all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.live import REDIS_TEST_URL, ROOT, free_port
from tests.waiting import wait_until

pytestmark = pytest.mark.postgres

START_TIMEOUT_S = 240.0


class Supervised:
    def __init__(self, database_url: str, folder: Path) -> None:
        self.port = free_port()
        while any(_busy(self.port + i) for i in (1, 2)):
            self.port = free_port()
        self.prefix = f"tbtest-{uuid.uuid4().hex[:10]}"
        self.redis = redis.Redis.from_url(REDIS_TEST_URL, decode_responses=True)
        self.log = folder / "nodes.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEBOOTH_")} | {
            "TRADEBOOTH_ENVIRONMENT": "test",
            "TRADEBOOTH_DATABASE_URL": database_url,
            "TRADEBOOTH_HOST": "127.0.0.1",
            "TRADEBOOTH_PORT": str(self.port),
            "TRADEBOOTH_SECRET_KEY": "nodes-test-secret-key",
            "TRADEBOOTH_REDIS_URL": REDIS_TEST_URL,
            "TRADEBOOTH_REDIS_PREFIX": self.prefix,
            "TRADEBOOTH_NODE_ID": "expo",
            "TRADEBOOTH_LOG_LEVEL": "INFO",
        }
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app", "--nodes", "2", "--no-demo"],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def nodes(self) -> dict[str, dict[str, str]]:
        """The live node records: name -> fields."""
        found = {
            key.rsplit(":", 1)[1]: self.redis.hgetall(key)
            for key in self.redis.keys(f"{self.prefix}:node:*")
        }
        return {name: record for name, record in found.items() if record}  # not just expired

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # the supervisor stops its nodes
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()  # its nodes get SIGTERM as it dies (PR_SET_PDEATHSIG)
                self.process.wait(30)
        for record in self.nodes().values():  # nodes left behind by a failed test
            if pid := int(record.get("pid", 0)):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        keys = list(self.redis.scan_iter(f"{self.prefix}:*"))
        if keys:
            self.redis.delete(*keys)
        self.redis.close()


def _busy(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def supervised(cluster_database: str, tmp_path: Path) -> Iterator[Supervised]:
    started = Supervised(cluster_database, tmp_path)
    yield started
    started.close()


def test_two_nodes_behind_one_entry_a_killed_node_comes_back_and_sigterm_stops_all(
    supervised: Supervised,
) -> None:
    port = supervised.port
    nodes = wait_until(
        lambda: len(found := supervised.nodes()) == 2 and found,
        START_TIMEOUT_S,
        f"two nodes: {supervised.log}",
    )
    assert sorted(nodes) == ["expo-1", "expo-2"]
    assert {record["url"] for record in nodes.values()} == {
        f"http://127.0.0.1:{port + 1}",
        f"http://127.0.0.1:{port + 2}",
    }
    for url in (f"http://127.0.0.1:{port}", *(record["url"] for record in nodes.values())):
        wait_until(lambda url=url: _answers(f"{url}/readyz"), 60, f"{url} to answer")

    # A node killed is started again by the supervisor (a new process, a new boot).
    killed = nodes["expo-1"]
    os.kill(int(killed["pid"]), signal.SIGKILL)

    def restarted() -> bool:
        record = supervised.nodes().get("expo-1")
        return record is not None and record.get("boot") != killed["boot"]

    wait_until(restarted, START_TIMEOUT_S, "expo-1 started again")
    assert _answers(f"http://127.0.0.1:{port}/healthz")

    # SIGTERM: every node stops and leaves the cluster; the supervisor exits cleanly.
    pids = [int(record["pid"]) for record in supervised.nodes().values()]
    supervised.process.send_signal(signal.SIGTERM)
    assert supervised.process.wait(60) == 0
    assert not supervised.nodes()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    text = supervised.log.read_text()
    assert "Traceback" not in text, text[-3000:]
