"""Pure parts of rooms: the message catalogue, tokens, clocks, the rate limit, the docs."""

from __future__ import annotations

import asyncio
import json
import re
import typing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.rooms.exceptions import CLOSE_CODES, close_code, http_status
from app.rooms.ratelimit import TokenBucket
from rooms import errors
from rooms.clock import AcceleratedClock, ManualClock
from rooms.errors import LinkExpired, LinkInvalid, LinkWrongMeeting, MessageInvalid
from rooms.links import LinkClaims, LinkSigner
from rooms.messages import (
    ChatSent,
    ClientMessage,
    Join,
    JoinData,
    MutedState,
    RoutingFeed,
    ServerMessage,
    TrackInfo,
    _Request,
    parse_client_message,
)
from rooms.seats import Seat

DOCS = Path(__file__).resolve().parents[2] / "docs" / "signalling.md"


def _types(union: object) -> set[str]:
    members = typing.get_args(typing.get_args(union)[0])
    return {member.model_fields["type"].annotation.__args__[0] for member in members}


@pytest.mark.parametrize(
    "message",
    [
        {"type": "join", "id": 1, "token": "t"},
        {"type": "answer", "id": "o.1", "sdp": "v=0"},
        {"type": "ice_candidate", "candidate": "", "sdp_mid": None, "sdp_mline_index": None},
        {"type": "publish", "id": "p", "kind": "audio"},
        {"type": "unpublish", "id": 2, "kind": "video"},
        {"type": "mute", "id": 3, "kind": "audio", "muted": True},
        {"type": "pause", "id": 4, "seat": "buyer", "kind": "video"},
        {"type": "resume", "id": 5, "seat": "interpreter", "kind": "audio"},
        {"type": "chat", "id": 6, "text": "Xin chào"},
        {"type": "leave", "id": 7},
        {"type": "ping", "id": 8},
    ],
)
def test_every_client_message_parses(message: dict[str, object]) -> None:
    parsed = parse_client_message(json.dumps(message))
    assert parsed.type == message["type"]


@pytest.mark.parametrize(
    ("text", "request_id"),
    [
        ("", None),
        ("[1, 2]", None),
        ('{"type": "join", "id": 1}', 1),  # no token
        ('{"type": "join", "id": true, "token": "t"}', None),  # a boolean is not an id
        ('{"type": "chat", "id": "x", "text": ""}', "x"),
        ('{"type": "chat", "id": "x", "text": "hi", "extra": 1}', "x"),
        ('{"type": "mute", "id": 2, "kind": "screen", "muted": true}', 2),
        ('{"type": "nope", "id": 3}', 3),
        ('{"type": "ping", "id": "' + "x" * 65 + '"}', None),
    ],
)
def test_invalid_messages_are_refused_with_their_id(text: str, request_id: object) -> None:
    with pytest.raises(MessageInvalid) as caught:
        parse_client_message(text)
    assert caught.value.details.get("id") == request_id


def test_the_docs_show_every_message_and_every_close_code() -> None:
    docs = DOCS.read_text()
    for message_type in _types(ClientMessage) | _types(ServerMessage):
        assert f'"type": "{message_type}"' in docs, message_type
    table = set(re.findall(r"^\| (\d{4}) \|", docs, re.MULTILINE))
    assert {str(code) for code in CLOSE_CODES.values()} | {"1000", "1011"} == table


def _sections(docs: str) -> dict[str, str]:
    """Message name -> the text of the docs section(s) whose `###` heading names it."""
    sections: dict[str, str] = {}
    for block in re.split(r"^### ", docs, flags=re.MULTILINE)[1:]:
        heading = block.split("\n", 1)[0]
        for name in re.findall(r"`(\w+)`", heading):
            sections[name] = sections.get(name, "") + block
    return sections


def test_the_docs_describe_every_field_of_every_message() -> None:
    """docs/signalling.md is the contract: each message's section names each of its fields,
    and the models a message carries are described where it is."""
    docs = DOCS.read_text()
    sections = _sections(docs)
    # A request's `id` is described once, under Conventions.
    assert "**Requests** (client → server) carry an `id`" in docs
    for union in (ClientMessage, ServerMessage):
        for model in typing.get_args(typing.get_args(union)[0]):
            name = model.model_fields["type"].annotation.__args__[0]
            for field in model.model_fields:
                if field == "type" or (field == "id" and issubclass(model, _Request)):
                    continue
                assert f"`{field}`" in sections[name], f"{name}.{field}"
    carried = {"join": (JoinData, MutedState), "offer": (TrackInfo,), "routing": (RoutingFeed,),
               "chat": (ChatSent,)}  # fmt: skip
    for name, models in carried.items():
        for model in models:
            for field in model.model_fields:
                assert f"`{field}`" in sections[name], f"{name}: {model.__name__}.{field}"


def test_every_fatal_error_has_one_close_code_and_link_errors_are_403() -> None:
    assert close_code(errors.RoomClosed()) == 4012  # the subclass wins over MeetingOver's 4011
    assert close_code(errors.MeetingOver()) == 4011
    assert close_code(errors.PermissionDenied()) is None  # answered, not closed
    assert http_status(LinkExpired()) == 403
    assert http_status(errors.MeetingNotOpen()) == 409
    own_codes = [code for code in CLOSE_CODES.values() if code >= 4000]
    assert len(own_codes) == len(set(own_codes))


def test_tokens_are_bound_to_meeting_seat_and_time() -> None:
    signer = LinkSigner("secret")
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    claims = LinkClaims(12, Seat.BUYER, 3, now + timedelta(hours=1))
    token = signer.sign(claims)
    assert signer.check(token, meeting_id=12, now=now) == claims
    with pytest.raises(LinkWrongMeeting):
        signer.check(token, meeting_id=13, now=now)
    with pytest.raises(LinkExpired):
        signer.check(token, meeting_id=12, now=now + timedelta(hours=1))
    with pytest.raises(LinkInvalid):
        LinkSigner("other").check(token, meeting_id=12, now=now)
    with pytest.raises(LinkInvalid):
        signer.check(token.replace(".", ".x", 1), meeting_id=12, now=now)
    unknown_seat = signer._serializer.dumps([12, "visitor", 1, 2_000_000_000])
    with pytest.raises(LinkInvalid):
        signer.check(str(unknown_seat), meeting_id=12, now=now)


def test_token_bucket_allows_the_burst_then_the_rate() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=10, burst=5, monotonic=lambda: now[0])
    assert [bucket.take() for _ in range(6)] == [True] * 5 + [False]
    now[0] += 0.1
    assert bucket.take() and not bucket.take()
    now[0] += 10
    assert sum(bucket.take() for _ in range(20)) == 5


async def test_manual_clock_wakes_sleepers_it_jumps_past() -> None:
    clock = ManualClock()
    woke: list[datetime] = []
    wake_at = clock.now() + timedelta(minutes=30)

    async def sleeper() -> None:
        await clock.sleep_until(wake_at)
        woke.append(clock.now())

    task = asyncio.create_task(sleeper())
    await clock.advance(timedelta(minutes=10))
    assert not woke
    await clock.advance(timedelta(minutes=21))
    await asyncio.wait_for(task, 1)
    assert woke


async def test_accelerated_clock_runs_faster() -> None:
    clock = AcceleratedClock(rate=600)
    start = clock.now()
    await asyncio.wait_for(clock.sleep_until(start + timedelta(seconds=30)), 1)
    assert clock.now() - start >= timedelta(seconds=30)


def test_join_has_a_token() -> None:
    assert Join(type="join", id=1, token="t").token == "t"
