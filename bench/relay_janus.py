"""Janus for bench.relay: Debian's `janus` package run beside the relay, on loopback only.

`JanusServer` writes a configuration into a temporary folder (only the VideoRoom plugin and
the HTTP transport, bound to 127.0.0.1; no STUN; ICE gathers 127.0.0.1 only), starts
`janus` in the foreground and creates the rooms. `JanusSession` is the asynchronous client
the load peers use (Janus's HTTP API: create, attach, message, long poll).

Janus gathers ICE candidates from the machine's interfaces and skips loopback ones (its
`ice.c` drops interfaces flagged IFF_LOOPBACK; libnice, which it falls back on when none is
left, drops them too), so it is started only inside a network namespace the benchmark made
(see `bench.netns`), where the one interface besides `lo` is an unconnected veth carrying
127.0.0.1/32, and `ice_enforce_list` admits only that address.
"""

from __future__ import annotations

import asyncio
import glob
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import httpx
import psutil

VIDEOROOM = "janus.plugin.videoroom"
ERROR_NO_SUCH_FEED = 428
ERROR_ROOM_EXISTS = 427
EVENT_TIMEOUT_S = 20.0


def janus_binary() -> str | None:
    return shutil.which("janus")


def janus_version() -> str:
    binary = janus_binary()
    if binary is None:
        return "missing"
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
    for line in out.stdout.splitlines():
        if line.startswith("Janus version:"):
            return line.split("(")[-1].rstrip(")")
    return "unknown"


def _module_folder(kind: str) -> Path | None:
    """Where Debian put Janus's plugins or transports (/usr/lib/<triplet>/janus/<kind>)."""
    found = sorted(glob.glob(f"/usr/lib/*/janus/{kind}")) + sorted(
        glob.glob(f"/usr/lib/janus/{kind}")
    )
    return Path(found[0]) if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class JanusError(RuntimeError):
    pass


class JanusServer:
    """One Janus process with a configuration of its own; `close()` stops it and removes
    the folder."""

    def __init__(self) -> None:
        binary = janus_binary()
        plugins, transports = _module_folder("plugins"), _module_folder("transports")
        if binary is None or plugins is None or transports is None:
            raise JanusError("janus is not installed (Debian package `janus`: make sysdeps)")
        self.folder = Path(tempfile.mkdtemp(prefix="tradebooth-janus-"))
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/janus"
        self._write_config(plugins, transports)
        self.log = self.folder / "janus.log"
        self.process = subprocess.Popen(
            [
                binary,
                "--configs-folder",
                str(self.folder),
                "--config",
                str(self.folder / "janus.jcfg"),
                "--disable-stdout",
                "--log-file",
                str(self.log),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.ps = psutil.Process(self.process.pid)
        try:
            self._wait_ready(30)
        except BaseException:
            self.close()
            raise

    @property
    def target(self) -> str:
        """What the load peers join: the Janus API's URL."""
        return self.url

    def _write_config(self, plugins: Path, transports: Path) -> None:
        # Only the modules used: a plugins folder holding the VideoRoom alone and a
        # transports folder holding HTTP alone; no event handlers, no loggers.
        for name, source, wanted in (
            ("plugins", plugins, "libjanus_videoroom.so"),
            ("transports", transports, "libjanus_http.so"),
        ):
            (self.folder / name).mkdir()
            os.symlink(source / wanted, self.folder / name / wanted)
        (self.folder / "events").mkdir()
        (self.folder / "loggers").mkdir()
        (self.folder / "janus.jcfg").write_text(
            f"""general: {{
	configs_folder = "{self.folder}"
	plugins_folder = "{self.folder / "plugins"}"
	transports_folder = "{self.folder / "transports"}"
	events_folder = "{self.folder / "events"}"
	loggers_folder = "{self.folder / "loggers"}"
	debug_level = 4
	server_name = "tradebooth-bench"
}}
certificates: {{
}}
media: {{
	ipv6 = false
}}
nat: {{
	nice_debug = false
	ice_enforce_list = "127.0.0.1"
	ignore_mdns = true
}}
plugins: {{
}}
transports: {{
}}
loggers: {{
}}
events: {{
	broadcast = false
}}
"""
        )
        (self.folder / "janus.transport.http.jcfg").write_text(
            f"""general: {{
	json = "compact"
	base_path = "/janus"
	http = true
	port = {self.port}
	ip = "127.0.0.1"
	https = false
}}
admin: {{
	admin_http = false
	admin_https = false
}}
cors: {{
}}
"""
        )
        (self.folder / "janus.plugin.videoroom.jcfg").write_text("general: {\n}\n")

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise JanusError(f"janus exited ({self.process.returncode}): {self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/info", timeout=2) as reply:
                    info = json.loads(reply.read())
                if info.get("janus") == "server_info" and VIDEOROOM in info.get("plugins", {}):
                    return
                raise JanusError(f"janus answered without the VideoRoom plugin: {info}")
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise JanusError(f"janus did not answer within {timeout} s: {self.log_tail()}")
            time.sleep(0.1)

    def log_tail(self, lines: int = 15) -> str:
        try:
            return " | ".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _post(self, path: str, message: dict[str, Any]) -> dict[str, Any]:
        message = {**message, "transaction": os.urandom(6).hex()}
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=json.dumps(message).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as reply:
            answer: dict[str, Any] = json.loads(reply.read())
        if answer.get("janus") == "error":
            raise JanusError(f"janus refused {message}: {answer}")
        return answer

    def create_rooms(self, rooms: list[int], publishers: int) -> None:
        """VideoRoom rooms with the relay's shape: VP8 + Opus, no bitrate cap (no REMB
        from Janus, as the relay sends none of its own), no periodic keyframe requests."""
        session = self._post("", {"janus": "create"})["data"]["id"]
        handle = self._post(f"/{session}", {"janus": "attach", "plugin": VIDEOROOM})["data"]["id"]
        for room in rooms:
            body = {
                "request": "create",
                "room": room,
                "publishers": publishers,
                "audiocodec": "opus",
                "videocodec": "vp8",
                "bitrate": 0,
                "fir_freq": 0,
            }
            answer = self._post(f"/{session}/{handle}", {"janus": "message", "body": body})
            data = answer.get("plugindata", {}).get("data", {})
            if data.get("videoroom") != "created" and data.get("error_code") != ERROR_ROOM_EXISTS:
                raise JanusError(f"janus did not create room {room}: {answer}")
        self._post(f"/{session}", {"janus": "destroy"})

    def cpu_s(self) -> float:
        times = self.ps.cpu_times()
        return float(times.user + times.system)

    def system_s(self) -> float:
        return float(self.ps.cpu_times().system)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # Janus's own clean shutdown
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        shutil.rmtree(self.folder, ignore_errors=True)


class JanusSession:
    """A Janus API session over HTTP: requests, and events read by a long-poll task."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(10.0, read=45.0))
        self.session_id: int | None = None
        self._events: dict[int, asyncio.Queue[dict[str, Any]]] = {}
        self._poller: asyncio.Task[None] | None = None
        self._transactions = itertools.count(1)

    async def _post(self, path: str, message: dict[str, Any]) -> dict[str, Any]:
        message = {"transaction": f"t{next(self._transactions)}", **message}
        reply = await self.http.post(f"{self.url}{path}", json=message)
        answer: dict[str, Any] = reply.json()
        if answer.get("janus") == "error":
            raise JanusError(f"janus refused {message.get('janus')}: {answer.get('error')}")
        return answer

    async def create(self) -> None:
        self.session_id = (await self._post("", {"janus": "create"}))["data"]["id"]
        self._poller = asyncio.ensure_future(self._poll())

    async def attach(self, plugin: str = VIDEOROOM) -> int:
        answer = await self._post(f"/{self.session_id}", {"janus": "attach", "plugin": plugin})
        handle: int = answer["data"]["id"]
        self._events[handle] = asyncio.Queue()
        return handle

    async def message(
        self,
        handle: int,
        body: dict[str, Any],
        jsep: dict[str, Any] | None = None,
        transaction: str | None = None,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {"janus": "message", "body": body}
        if transaction is not None:
            message["transaction"] = transaction
        if jsep is not None:
            message["jsep"] = jsep
        return await self._post(f"/{self.session_id}/{handle}", message)

    async def request(
        self,
        handle: int,
        body: dict[str, Any],
        jsep: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """An asynchronous plugin request: its "event" (plugin data and any JSEP), told
        apart from notifications (another publisher joined...) by its transaction."""
        transaction = f"t{next(self._transactions)}"
        answer = await self.message(handle, body, jsep, transaction)
        if answer.get("janus") != "ack":
            return answer
        queue = self._events[handle]
        while True:
            event = await asyncio.wait_for(queue.get(), EVENT_TIMEOUT_S)
            if event.get("janus") == "event" and event.get("transaction") == transaction:
                return event

    async def _poll(self) -> None:
        while True:
            try:
                reply = await self.http.get(f"{self.url}/{self.session_id}", params={"maxev": 10})
            except httpx.HTTPError:
                await asyncio.sleep(0.1)
                continue
            events = reply.json()
            for event in events if isinstance(events, list) else [events]:
                queue = self._events.get(event.get("sender", 0))
                if queue is not None:
                    queue.put_nowait(event)

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
        if self.session_id is not None:
            try:
                await self._post(f"/{self.session_id}", {"janus": "destroy"})
            except (httpx.HTTPError, JanusError, ValueError):
                pass
        await self.http.aclose()


def plugin_data(event: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = event.get("plugindata", {}).get("data", {})
    return data
