"""How `python -m app` serves HTTP (app/nodes.py `uvicorn_config`, used alone and as a node)."""

from __future__ import annotations

import asyncio
import socket

import uvicorn

from app.main import create_app
from app.nodes import uvicorn_config
from app.settings import Settings
from tests.waiting import wait_for

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


async def test_an_idle_connection_stays_open_as_long_as_the_setting_says(sqlite_url: str) -> None:
    """The keep-alive setting reaches uvicorn: with 1 s, an idle connection is closed after
    about a second (uvicorn's own default would hold it 5 s); by default it outlives a load
    balancer's idle timeout."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    settings = Settings(
        environment="test",
        database_url=sqlite_url,
        host="127.0.0.1",
        port=port,
        http_keep_alive_seconds=1,
    )
    app = create_app(settings)
    # Longer than the 60 s idle timeout of most load balancers.
    assert uvicorn_config(app, Settings(environment="test")).timeout_keep_alive > 60
    server = uvicorn.Server(uvicorn_config(app, settings))
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        await wait_for(lambda: server.started or task.done(), 10, "uvicorn to start")
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(REQUEST)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert head.startswith(b"HTTP/1.1 200"), head
        length = int(next(
            line.split(b":")[1] for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        ))
        await reader.readexactly(length)
        loop = asyncio.get_running_loop()
        idle_from = loop.time()
        # The server closes the idle connection: end of stream, nothing more sent.
        assert await asyncio.wait_for(reader.read(), 4.5) == b""
        assert 0.8 <= loop.time() - idle_from < 4.5
        writer.close()
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)
        listener.close()
