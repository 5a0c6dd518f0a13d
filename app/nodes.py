"""Nodes of a cluster on one machine (`python -m app --nodes N`), their sockets, migrations.

`--nodes N` starts N node processes (one per core: one asyncio loop is one core) and keeps
them running. Every node serves the entry port PORT on one listening socket they share (the
kernel hands each new connection to one of them), and its own port PORT+i, where the seats of
the rooms it runs connect (the join response and the redirect of a wrong node say so). Across
machines each node is started on its own (`python -m app` with TRADEBOOTH_REDIS_URL) and a
load balancer is the entry: docs/deploy.md.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit, urlunsplit

import redis
import uvicorn
from fastapi import FastAPI

from app.settings import Settings

logger = logging.getLogger("app.nodes")

ROOT = Path(__file__).resolve().parent.parent
MIGRATION_LOCK_SECONDS = 600
RESTART_PAUSE_SECONDS = 1.0
PR_SET_PDEATHSIG = 1
STOP_TIMEOUT_SECONDS = 30.0
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end"


def redacted(url: str) -> str:
    """`url` without its password, for printing."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


@contextlib.contextmanager
def migration_turn(settings: Settings) -> Iterator[None]:
    """Nodes that start together migrate one after the other (a Redis lock); the first does
    the work, the others find the schema current. A process on its own needs no lock."""
    if not settings.redis_url:
        yield
        return
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=10)
    key, token = f"{settings.redis_prefix}:migrating", uuid.uuid4().hex
    deadline = time.monotonic() + MIGRATION_LOCK_SECONDS
    try:
        while not client.set(key, token, nx=True, ex=MIGRATION_LOCK_SECONDS):
            if time.monotonic() > deadline:
                raise RuntimeError("another node has been migrating the database for too long")
            time.sleep(0.2)
        try:
            yield
        finally:
            client.eval(_RELEASE, 1, key, token)
    finally:
        client.close()


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (host, port), inheritable by node processes."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(address)
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve_node(app: FastAPI, settings: Settings, *, front_fd: int | None) -> None:
    """Serve the entry port (the shared socket `front_fd`, or bound here) and this node's
    own port."""
    front = (
        socket.socket(fileno=front_fd)
        if front_fd is not None
        else listen(settings.host, settings.port)
    )
    sockets = [front]
    if settings.node_port is not None and settings.node_port != settings.port:
        sockets.append(listen(settings.host, settings.node_port))
    uvicorn.Server(uvicorn_config(app, settings)).run(sockets=sockets)


def uvicorn_config(app: FastAPI, settings: Settings) -> uvicorn.Config:
    """How the service is served, on its own or as a node.

    log_config=None: uvicorn's loggers go through the logging `python -m app` configured.
    ws_max_size: a frame far above the signalling limit is refused by the protocol layer
    before it is buffered (uvicorn's default is 16 MiB); up to twice the limit, the seat gets
    the service's own `message_too_big` notice before its 1009. timeout_keep_alive: an idle
    connection outlives a balancer's (uvicorn's 5 s let a request meet the close)."""
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        ws_max_size=2 * settings.ws_max_message_bytes,
        timeout_keep_alive=max(1, round(settings.http_keep_alive_seconds)),
    )


def node_environment(settings: Settings, index: int) -> dict[str, str]:
    """The settings of node `index` (1..N) of `--nodes`: its port, id and URL."""
    port = settings.port + index
    env = dict(os.environ) | {"TRADEBOOTH_NODE_PORT": str(port)}
    if settings.node_id:
        env["TRADEBOOTH_NODE_ID"] = f"{settings.node_id}-{index}"
    if settings.node_url:
        # One URL for every node would send all their seats to one: it must name the node.
        env["TRADEBOOTH_NODE_URL"] = settings.node_url.format(port=port, index=index)
    return env


def _stop_with_parent() -> None:
    """In a node process before it runs (Linux): SIGTERM when the supervisor dies, even by
    SIGKILL, so no node is left running on its own."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Supervisor:
    """N node processes sharing the entry socket; one that exits is started again."""

    def __init__(self, settings: Settings, count: int) -> None:
        self.settings = settings
        self.count = count
        self.front = listen(settings.host, settings.port)
        self.nodes: dict[int, subprocess.Popen[bytes]] = {}
        self.started: dict[int, float] = {}
        self.stopping = False

    def start(self, index: int) -> None:
        command = [
            sys.executable,
            "-m",
            "app",
            "--no-demo",
            "--no-migrate",
            "--front-fd",
            str(self.front.fileno()),
        ]
        self.nodes[index] = subprocess.Popen(
            command,
            cwd=ROOT,
            env=node_environment(self.settings, index),
            pass_fds=(self.front.fileno(),),
            preexec_fn=_stop_with_parent,
        )
        self.started[index] = time.monotonic()
        logger.info("node %d started (pid %d)", index, self.nodes[index].pid)

    def stop(self, *_: object) -> None:
        self.stopping = True

    def run(self) -> int:
        for index in range(1, self.count + 1):
            self.start(index)
        while not self.stopping:
            time.sleep(0.2)
            for index, process in list(self.nodes.items()):
                if process.poll() is None or self.stopping:
                    continue
                logger.warning(
                    "node %d (pid %d) exited with %s; starting it again",
                    index,
                    process.pid,
                    process.returncode,
                )
                if time.monotonic() - self.started[index] < 5:
                    time.sleep(RESTART_PAUSE_SECONDS)  # a node that cannot start: no busy loop
                self.start(index)
        for process in self.nodes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for process in self.nodes.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.front.close()
        return 0


def supervise(settings: Settings, count: int) -> int:
    """`python -m app --nodes N`: run N nodes until SIGTERM or Ctrl-C."""
    supervisor = Supervisor(settings, count)

    def stop(_signal: int, _frame: FrameType | None) -> None:
        supervisor.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    return supervisor.run()
