"""The processes of bench.relay: the relay under test and the load peers."""

from __future__ import annotations

import json
import multiprocessing
import socket
import time
from collections.abc import Callable
from typing import Any

import psutil

from . import relay_peers, relay_server
from .relay_peers import SeatSpec

ctx = multiprocessing.get_context("spawn")


class RelayProcess:
    """The relay (`relay_server.run`) in a process of its own; only ITS CPU is measured."""

    name = "relay"

    def __init__(self, mode: str) -> None:
        self.stop = ctx.Event()
        receive, send = ctx.Pipe(duplex=False)
        self.process = ctx.Process(target=relay_server.run, args=(mode, send, self.stop))
        self.process.start()
        if not receive.poll(60):
            raise RuntimeError("relay process did not start")
        self.port: int = receive.recv()
        self.ps = psutil.Process(self.process.pid)

    @property
    def target(self) -> int:
        return self.port

    def cpu_s(self) -> float:
        times = self.ps.cpu_times()
        return float(times.user + times.system)

    def system_s(self) -> float:
        return float(self.ps.cpu_times().system)

    def stats(self) -> dict[str, Any]:
        return self.ask({"type": "stats"})

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(json.dumps(request).encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
        result: dict[str, Any] = json.loads(data)
        return result

    def close(self) -> None:
        self.stop.set()
        self.process.join(30)
        if self.process.is_alive():
            self.process.kill()


class PeersProcess:
    """Load peers (`relay_peers.run`) in a process of their own, joined to the relay's
    benchmark server (`target` a port) or to Janus (`target` its HTTP API URL). `received()`
    reads the RTP packets the seats got so far (shared counters, one per seat)."""

    def __init__(self, target: int | str, media: str, specs: list[SeatSpec]) -> None:
        self.stop = ctx.Event()
        self.results = ctx.Queue()
        self.specs = specs
        self.counters = ctx.RawArray("q", len(specs))
        self.process = ctx.Process(
            target=relay_peers.run,
            args=(target, media, specs, self.stop, self.results, self.counters),
        )
        self.process.start()

    def received(self) -> int:
        return int(sum(self.counters))

    def receiving(self, at_least: int) -> bool:
        """True once every seat of this process got more than `at_least` packets."""
        return all(count > at_least for count in self.counters)

    def finish(self) -> list[dict[str, Any]]:
        self.stop.set()
        results: list[dict[str, Any]] = self.results.get(timeout=60)
        self.process.join(30)
        if self.process.is_alive():
            self.process.kill()
        return results

    def alive(self) -> bool:
        return self.process.is_alive()


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.1)
