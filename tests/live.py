"""The service as real processes for tests: one `python -m app`, or the nodes of a cluster.

`ServiceProcess` is `python -m app` on loopback ports with its output in a log file: start it,
stop it, SIGKILL it, read the exceptions it logged. `LiveCluster` is N of them as the nodes of
one cluster, as `python -m app --nodes N` runs them: a shared entry port (one listening socket
every node serves), each node's own port, a Redis database of the tests' own (the keys of the
run under a prefix of their own, deleted at the end) and one database for all.
"""

from __future__ import annotations

import concurrent.futures
import os
import signal
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis

from app.settings import Settings
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 240.0  # a loaded shared machine (load 35 seen) starts it slowly
REDIS_TEST_URL = os.environ.get("TRADEBOOTH_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def shared_socket() -> socket.socket:
    """A listening loopback socket node processes inherit (the entry port of `--nodes`)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(256)
    sock.set_inheritable(True)
    return sock


@dataclass
class ServiceProcess:
    """`python -m app` on a loopback port, its output in a log file.

    `settings` are TRADEBOOTH_* values on top of the test defaults. With `front` it is a node
    of a cluster: it serves that shared socket and `node_port` of its own."""

    database_url: str
    port: int
    log: Path
    secret_key: str
    settings_values: dict[str, Any] = field(default_factory=dict)
    front: socket.socket | None = None
    node_port: int | None = None
    name: str = "service"
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        """The entry (a node's own URL is `node_url`)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def node_url(self) -> str:
        return f"http://127.0.0.1:{self.node_port or self.port}"

    @property
    def node_ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.node_port or self.port}"

    def _values(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "environment": "test",
            "database_url": self.database_url,
            "host": "127.0.0.1",
            "port": self.port,
            "secret_key": self.secret_key,
            "ice_host_addresses": '["127.0.0.1"]',
            "log_level": "INFO",
        }
        if self.node_port is not None:
            values |= {"node_port": self.node_port, "node_id": self.name}
        return values | self.settings_values

    @property
    def settings(self) -> Settings:
        """The settings the process runs with (cookie names depend on them)."""
        values = self._values()
        values["ice_host_addresses"] = ["127.0.0.1"]
        return Settings(**values)

    def start(self, *, wait: bool = True) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEBOOTH_")}
        env |= {f"TRADEBOOTH_{key.upper()}": str(value) for key, value in self._values().items()}
        command = [sys.executable, "-m", "app", "--no-demo"]
        fds: tuple[int, ...] = ()
        if self.front is not None:
            command += ["--front-fd", str(self.front.fileno())]
            fds = (self.front.fileno(),)
        output = self.log.open("ab")
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            pass_fds=fds,
        )
        output.close()
        if wait:
            self.wait_ready()

    def wait_ready(self) -> None:
        def ready() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
            try:
                return httpx.get(f"{self.node_url}/readyz", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(ready, START_TIMEOUT_S, f"{self.name} to be ready")

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no lifespan shutdown, no goodbye to the seats."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def exceptions(self) -> list[str]:
        text = self.log.read_text(errors="replace")
        return [line for line in text.splitlines() if "Traceback (most recent call last)" in line]


class LiveCluster:
    """`count` nodes of one cluster on loopback, named node-a, node-b, ..."""

    def __init__(
        self,
        database_url: str,
        folder: Path,
        *,
        count: int = 2,
        secret_key: str = "cluster-test-secret-key",
        settings: dict[str, Any] | None = None,
    ) -> None:
        self.database_url = database_url
        self.redis_url = REDIS_TEST_URL
        self.prefix = f"tbtest-{uuid.uuid4().hex[:10]}"
        self.front = shared_socket()
        self.port = int(self.front.getsockname()[1])
        values = {
            "redis_url": self.redis_url,
            "redis_prefix": self.prefix,
            "public_base_url": f"http://127.0.0.1:{self.port}",
        } | (settings or {})
        self.nodes = [
            ServiceProcess(
                database_url,
                self.port,
                folder / f"node-{chr(ord('a') + index)}.log",
                secret_key,
                settings_values=values,
                front=self.front,
                node_port=free_port(),
                name=f"node-{chr(ord('a') + index)}",
            )
            for index in range(count)
        ]
        self.redis = redis.Redis.from_url(self.redis_url, decode_responses=True)

    @property
    def base_url(self) -> str:
        """The entry every node serves."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def settings(self) -> Settings:
        return self.nodes[0].settings

    def __getitem__(self, name: str) -> ServiceProcess:
        return next(node for node in self.nodes if node.name == name)

    def start(self) -> None:
        self.flush()
        for node in self.nodes:
            node.start(wait=False)
        with concurrent.futures.ThreadPoolExecutor(len(self.nodes)) as pool:
            list(pool.map(ServiceProcess.wait_ready, self.nodes))
        wait_until(lambda: len(self.live_nodes()) == len(self.nodes), 30, "every node to register")

    def live_nodes(self) -> set[str]:
        return {key.rsplit(":", 1)[1] for key in self.redis.keys(f"{self.prefix}:node:*")}

    def node_of(self, meeting_id: int) -> str | None:
        """The node a meeting is placed on, as Redis says."""
        found = self.redis.hget(f"{self.prefix}:place:{meeting_id}", "node")
        return str(found) if found is not None else None

    def stop(self) -> None:
        with concurrent.futures.ThreadPoolExecutor(len(self.nodes)) as pool:
            list(pool.map(ServiceProcess.stop, self.nodes))
        self.front.close()
        self.flush()
        self.redis.close()

    def flush(self) -> None:
        """Delete this run's keys (the database is the tests', the prefix this run's)."""
        keys = list(self.redis.scan_iter(f"{self.prefix}:*", count=1000))
        if keys:
            self.redis.delete(*keys)

    def exceptions(self) -> dict[str, list[str]]:
        return {node.name: found for node in self.nodes if (found := node.exceptions())}

    def logs(self) -> str:
        return "\n".join(
            f"--- {node.name}\n{node.log.read_text(errors='replace')[-3000:]}"
            for node in self.nodes
        )
