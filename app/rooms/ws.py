"""The seat websocket `/ws/rooms/{meeting_id}`: admission, limits, close codes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from app.cluster.local import LocalCluster
from app.rooms import service
from app.rooms.exceptions import INTERNAL_ERROR_CLOSE_CODE, close_code
from app.rooms.locks import KeyedLocks
from app.rooms.ratelimit import TokenBucket
from app.rooms.service import DatabaseRoomStore
from app.settings import Settings
from rooms.errors import (
    JoinRequired,
    LinkInvalid,
    MessageInvalid,
    MessageTooBig,
    NoCapacity,
    RoomElsewhere,
    RoomError,
    TooManyInvalidMessages,
    TooManyMessages,
    UnsupportedData,
)
from rooms.links import LinkClaims, LinkSigner
from rooms.messages import (
    Answer,
    ClientMessage,
    Error,
    IceCandidate,
    Join,
    Leave,
    Response,
    dump,
    parse_client_message,
)
from rooms.registry import RoomRegistry
from rooms.room import MeetingInfo, Room

logger = logging.getLogger(__name__)

ws_router = APIRouter()

OUTBOX_SIZE = 512  # messages queued for one seat before it counts as not reading
INVALID_IN_A_ROW = 10  # malformed messages answered with `error` before the socket is closed

CLOSE_TIMEOUT_SECONDS = 5.0

_END = object()


class WebSocketSeat:
    """A seat's websocket as rooms/ sees it: queued sends, a close that says why."""

    def __init__(self, websocket: WebSocket, meeting_id: int) -> None:
        self.websocket = websocket
        self.meeting_id = meeting_id
        self.seat: str = "-"
        self._outbox: asyncio.Queue[Any] = asyncio.Queue(OUTBOX_SIZE)
        self._closing = False
        self._writer = asyncio.create_task(self._write(), name=f"ws-{meeting_id}-writer")

    async def send(self, message: dict[str, Any]) -> None:
        if self._closing or self._writer.done():
            return  # gone: nothing more is queued for a socket nobody writes to
        if self._outbox.full():
            # A client that stops reading must not hold the room's memory: drop it.
            logger.warning("meeting %s seat %s: outbox full, closing", self.meeting_id, self.seat)
            await self.close(TooManyMessages("the client is not reading its messages"))
            return
        self._outbox.put_nowait(message)

    async def close(self, error: RoomError | None) -> None:
        if self._closing:
            return
        code = 1000
        reason = ""
        if error is not None:
            code = close_code(error) or INTERNAL_ERROR_CLOSE_CODE
            reason = error.code
            notice = Error(code=error.code, message=error.message, details=_jsonable(error.details))
            self._put(dump(notice))
        self._closing = True
        self._put((code, reason))
        self._put(_END)

    async def close_internal(self) -> None:
        if self._closing:
            return
        self._closing = True
        self._put((INTERNAL_ERROR_CLOSE_CODE, "internal_error"))
        self._put(_END)

    async def wait_closed(self) -> None:
        if not self._closing:
            await self.close(None)
        try:
            await asyncio.wait_for(asyncio.shield(self._writer), CLOSE_TIMEOUT_SECONDS)
        except TimeoutError:
            self._writer.cancel()

    def _put(self, item: Any) -> None:
        # Closing must get through even when the outbox is full of data nobody reads.
        while self._outbox.full():
            self._outbox.get_nowait()
        self._outbox.put_nowait(item)

    async def _write(self) -> None:
        try:
            while True:
                item = await self._outbox.get()
                if item is _END:
                    return
                if isinstance(item, tuple):
                    code, reason = item
                    if self.websocket.application_state is WebSocketState.CONNECTED:
                        await self.websocket.close(code, reason)
                    continue
                if self.websocket.application_state is WebSocketState.CONNECTED:
                    await self.websocket.send_json(item)
                    # Let the transport report a lost connection before the next frame: a
                    # failed write only schedules `connection_lost`, and a queue drained
                    # without yielding went on writing into the dead socket (asyncio logs
                    # "socket.send() raised exception." for every write after the fifth).
                    await asyncio.sleep(0)
        except Exception as exc:  # a broken socket ends only this writer
            logger.info("meeting %s seat %s: send failed: %s", self.meeting_id, self.seat, exc)
            self._closing = True
            # A message that cannot be sent on a live socket must not leave it open and silent.
            if self.websocket.application_state is WebSocketState.CONNECTED:
                with contextlib.suppress(Exception):
                    await self.websocket.close(INTERNAL_ERROR_CLOSE_CODE, "internal_error")


def _jsonable(details: dict[str, object]) -> dict[str, Any]:
    return {
        key: value
        if isinstance(value, str | int | float | bool | list | dict | None)
        else str(value)
        for key, value in details.items()
    }


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]  # no recursion: the value may be nested as deep as json allows
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if any("\ud800" <= char <= "\udfff" for char in item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _parse(text: str) -> ClientMessage:
    """`parse_client_message`, plus what JSON allows and the service cannot carry on.

    Found by fuzzing (tests/security/test_fuzz_signalling.py): nesting deeper than Python's
    recursion limit made `json.loads` raise RecursionError (a 1011 for the seat), and a lone
    UTF-16 surrogate escape (`"\\ud800"`) decoded into a string no reply could be encoded
    with, which killed the seat's writer and left the socket silent.
    """
    if _SURROGATE_ESCAPE.search(text):
        try:
            decoded = json.loads(text)
        except (ValueError, RecursionError):
            decoded = None  # reported by parse_client_message below
        if _has_lone_surrogate(decoded):
            # No id in the reply: the id itself may be what cannot be encoded.
            raise MessageInvalid("message holds a lone surrogate: not valid Unicode")
    try:
        return parse_client_message(text)
    except RecursionError as exc:
        raise MessageInvalid("message is nested too deeply") from exc


async def _receive(websocket: WebSocket, settings: Settings) -> str:
    event = await websocket.receive()
    if event["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(event.get("code", 1000))
    text = event.get("text")
    if text is None:
        raise UnsupportedData()
    if len(text) > settings.ws_max_message_bytes or (
        len(text.encode()) > settings.ws_max_message_bytes
    ):
        raise MessageTooBig(limit=settings.ws_max_message_bytes)
    return str(text)


async def _admit(
    websocket: WebSocket, meeting_id: int, join: Join
) -> tuple[LinkClaims, MeetingInfo]:
    state = websocket.app.state
    signer: LinkSigner = state.link_signer
    async with state.read_sessionmaker() as session:
        claims = await service.check_token(
            session=session,
            signer=signer,
            token=join.token,
            meeting_id=meeting_id,
            now=state.clock.now(),
        )
        facts = await service.meeting_facts(session=session, meeting_id=meeting_id)
    if facts is None:
        raise LinkInvalid()
    info = service.meeting_info(facts)
    if claims.seat not in info.seats:
        raise LinkInvalid()
    return claims, info


async def _room_here(websocket: WebSocket, registry: RoomRegistry, info: MeetingInfo) -> Room:
    """The meeting's room on this node: open here, or placed here now (the cluster's choice).

    RoomElsewhere (close 4015, with the room's websocket URL) when it lives on another node;
    NoCapacity (close 1013) when no node can take it, which the board shows. Seats arriving
    together open the room one after the other: the second finds the room the first opened
    (after a takeover, the dead room's stays were ended before any new stay began)."""
    room = registry.get(info.meeting_id)
    if room is not None and not room.closed:
        return room
    openings: KeyedLocks = websocket.app.state.room_openings
    async with openings.hold(info.meeting_id):
        room = registry.get(info.meeting_id)
        if room is not None and not room.closed:
            return room
        return await _open_here(websocket, registry, info)


async def _open_here(websocket: WebSocket, registry: RoomRegistry, info: MeetingInfo) -> Room:
    registry.check_window(info)  # a meeting that may not open takes no node's capacity
    state = websocket.app.state
    cluster: LocalCluster = state.cluster
    try:
        placement = await cluster.place(info.meeting_id, mission_id=info.mission_id)
    except NoCapacity as exc:
        await cluster.refuse(
            mission_id=info.mission_id, meeting_id=info.meeting_id, retry_after=exc.retry_after
        )
        raise
    if not placement.local:
        raise RoomElsewhere(placement.node.websocket_url(info.meeting_id))
    if placement.taken_over_from is not None:
        # Its node died with the room: the stays it left open end when it was last heard.
        at = placement.lost_at or state.clock.now()
        store: DatabaseRoomStore = state.room_store
        await store.seats_lost(meeting_id=info.meeting_id, at=at, reason="node_lost")
    try:
        return registry.open(info)
    except NoCapacity as exc:  # this node's own limit, reached since it was chosen
        await cluster.refuse(
            mission_id=info.mission_id, meeting_id=info.meeting_id, retry_after=exc.retry_after
        )
        raise


@ws_router.websocket("/ws/rooms/{meeting_id}")
async def seat_socket(websocket: WebSocket, meeting_id: int) -> None:
    """One seat's signalling; docs/signalling.md describes the messages and close codes."""
    settings: Settings = websocket.app.state.settings
    registry: RoomRegistry = websocket.app.state.rooms
    await websocket.accept()
    connection = WebSocketSeat(websocket, meeting_id)
    limiter = TokenBucket(settings.ws_messages_per_second, settings.ws_message_burst)
    room: Room | None = None
    try:
        try:
            first = await asyncio.wait_for(
                _receive(websocket, settings), settings.ws_join_timeout_seconds
            )
        except TimeoutError as exc:
            raise JoinRequired("no join message in time") from exc
        try:
            message = _parse(first)
        except MessageInvalid as exc:
            raise JoinRequired("the first message must be a valid join") from exc
        if not isinstance(message, Join):
            raise JoinRequired()
        claims, info = await _admit(websocket, meeting_id, message)
        connection.seat = claims.seat.value
        room = await _room_here(websocket, registry, info)
        await room.join(claims.seat, connection, message)
        await _serve(websocket, settings, connection, limiter, room)
    except WebSocketDisconnect:
        pass
    except RoomError as exc:
        logger.info("meeting %s seat %s: closing: %s", meeting_id, connection.seat, exc.code)
        await connection.close(exc)
    except Exception:  # one seat's failure closes that seat, never the room or the process
        logger.exception("meeting %s seat %s: internal error", meeting_id, connection.seat)
        await connection.close_internal()
    finally:
        if room is not None:
            with contextlib.suppress(Exception):
                await room.disconnected(connection)
        await connection.wait_closed()


async def _serve(
    websocket: WebSocket,
    settings: Settings,
    connection: WebSocketSeat,
    limiter: TokenBucket,
    room: Room,
) -> None:
    invalid = 0
    while True:
        text = await _receive(websocket, settings)
        if not limiter.take():
            raise TooManyMessages(limit_per_second=settings.ws_messages_per_second)
        try:
            message: ClientMessage = _parse(text)
        except MessageInvalid as exc:
            invalid += 1
            if invalid >= INVALID_IN_A_ROW:
                raise TooManyInvalidMessages() from exc
            request_id = exc.details.get("id")
            await connection.send(
                dump(
                    Error(
                        id=request_id if isinstance(request_id, str | int) else None,
                        code=exc.code,
                        message=exc.message,
                        details={"problems": exc.details.get("problems", [])},
                    )
                )
            )
            continue
        invalid = 0
        try:
            data = await room.handle(connection, message)
        except RoomError as exc:
            if close_code(exc) is not None:
                raise
            await connection.send(
                dump(
                    Error(
                        id=getattr(message, "id", None),
                        code=exc.code,
                        message=exc.message,
                        details=_jsonable(exc.details),
                    )
                )
            )
            continue
        if isinstance(message, IceCandidate):
            continue
        if isinstance(message, Answer):
            continue
        await connection.send(dump(Response(id=message.id, data=data)))
        if isinstance(message, Leave):
            await connection.close(None)
            return
