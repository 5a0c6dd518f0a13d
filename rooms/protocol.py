"""The signalling catalogue as JSON Schema (2020-12), generated from rooms/messages.py.

Two documents, one per direction: `server` validates every message the server sends on a
seat's websocket, `client` every message a client may send. Each is a `oneOf` over the
messages of its direction (an OpenAPI-style `discriminator` on `type` says which one), with
every model under `$defs`, `additionalProperties: false` throughout, and the catalogue's
version in `x-protocol`. app/ serves them at /api/v1/signalling/schema/{server,client}.
"""

from __future__ import annotations

import copy
import functools
from typing import Any, Literal

from rooms.messages import PROTOCOL_VERSION, client_adapter, server_adapter

Side = Literal["server", "client"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"

_TITLES: dict[Side, tuple[str, str]] = {
    "server": (
        "TradeBooth seat signalling: server to client",
        "Every message the server sends on /ws/rooms/{meeting_id} (docs/signalling.md). "
        "A `response` carries `JoinData` for `join`, `ChatSent` for `chat` and an empty "
        "object for every other request.",
    ),
    "client": (
        "TradeBooth seat signalling: client to server",
        "Every message a client may send on /ws/rooms/{meeting_id} (docs/signalling.md); "
        "the first one must be `join`.",
    ),
}


@functools.cache
def _schema(side: Side) -> dict[str, Any]:
    if side == "server":
        body = server_adapter.json_schema(mode="serialization")
    else:
        body = client_adapter.json_schema(mode="validation")
    title, description = _TITLES[side]
    return {
        "$schema": DIALECT,
        "title": title,
        "description": description,
        "x-protocol": PROTOCOL_VERSION,
        **body,
    }


def json_schema(side: Side) -> dict[str, Any]:
    """The JSON Schema of the messages `side` sends (a fresh copy: callers may change it)."""
    return copy.deepcopy(_schema(side))
