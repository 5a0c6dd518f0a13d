"""The signalling catalogue: every message on a seat's websocket, as Pydantic models on `type`.

This module is the contract (docs/signalling.md explains it; rooms/protocol.py publishes it
as JSON Schema). `PROTOCOL_VERSION` changes with it: the major number when a client written
for the previous version would misread a message, the minor one when something is added.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
)

from rooms.errors import MessageInvalid
from rooms.seats import Seat

PROTOCOL_VERSION = "2.0"

MediaKind = Literal["audio", "video"]
# What a track carries. Audio: the seat's microphone ("mic") or an interpreter's private
# line to the partner ("back_channel"). Video: the camera, or a shared screen published as
# a track of its own ("screen"; the web client instead shows a screen in its camera track).
AudioSource = Literal["mic", "back_channel"]
VideoSource = Literal["camera", "screen"]
TrackSource = Literal["mic", "back_channel", "camera", "screen"]
# An m-line of an offer as the client sees it: it sends on it, receives on it, or neither.
LineDirection = Literal["send", "receive", "inactive"]
InterpretationMode = Literal["consecutive", "simultaneous"]
FloorTurn = Literal["company", "buyer", "interpreting"]
HandoverAction = Literal["hand_over", "request", "accept", "decline", "take"]
ChatTo = Literal["room", "team"]
Layer = Literal["floor", "channel", "back_channel"]
# A language channel: a short language code such as "ko", "en", "zh-Hant".
Channel = Annotated[str, Field(min_length=1, max_length=16)]
Phase = Literal["lobby", "live", "closed"]
PresenceState = Literal["joined", "reconnecting", "left"]
LeftReason = Literal["", "left", "grace_expired", "room_closed", "server_shutdown"]


class _Message(BaseModel):
    # Fields with defaults are always sent: required in the published (serialization) schema.
    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_serialization_defaults_required=True
    )


class MutedState(_Message):
    """A seat's microphone (`audio`) and camera (`video`): true is off."""

    audio: bool = False
    video: bool = False


def _id() -> Any:
    # Request ids are the client's own; bounded so a reply can never be bigger than the request.
    return Field(..., description="Chosen by the sender; echoed in the reply.")


class _Request(_Message):
    id: (
        Annotated[StrictStr, Field(min_length=1, max_length=64)]
        | Annotated[StrictInt, Field(ge=0, le=2**53)]
    ) = _id()


# Client -> server ---------------------------------------------------------------------------


class Join(_Request):
    """First message: the seat's token and its devices' state. Answered by a `response`
    whose `data` is a `JoinData`."""

    type: Literal["join"]
    token: str = Field(min_length=1, max_length=512)
    device: str = Field("", max_length=100, description="Free label shown to the organiser.")
    muted: MutedState = Field(
        default_factory=MutedState,
        description="The seat's microphone and camera as it joins (true: off); both on when "
        "left out. Sent again on every join: a reconnect states it afresh.",
    )


class Answer(_Message):
    """The client's SDP answer to the server's `offer`; `id` is the offer's id."""

    type: Literal["answer"]
    id: str = Field(min_length=1, max_length=64)
    sdp: str = Field(min_length=1, max_length=60_000)


class IceCandidate(_Message):
    """A candidate the client trickles; an empty candidate ends the trickle. (The server
    sends none: its offers carry every candidate of the relay.)"""

    type: Literal["ice_candidate"]
    candidate: str = Field(max_length=1_000)
    sdp_mid: str | None = Field(None, max_length=32)
    sdp_mline_index: int | None = Field(None, ge=0, le=64)


class Publish(_Request):
    """Ask to send a track of `kind` from `source`; the server offers an m-line for it (or
    offers again the one the seat left unused). Nothing changes if the seat already sends
    that source.

    `source`: "mic" (audio) or "camera" (video) when left out; "back_channel" (audio,
    interpreter seats only) is the private line to the partner interpreter, which no other
    seat receives; "screen" (video) a shared screen beside the camera."""

    type: Literal["publish"]
    kind: MediaKind
    source: TrackSource | None = None


class Unpublish(_Request):
    """Stop sending the track of `kind` (from `source`, or every one of that kind); the
    others stop receiving it."""

    type: Literal["unpublish"]
    kind: MediaKind
    source: TrackSource | None = None


class Mute(_Request):
    """Tell the others the seat's microphone or camera is muted (media keeps its slot)."""

    type: Literal["mute"]
    kind: MediaKind
    muted: bool


class Pause(_Request):
    """Stop receiving `kind` from `seat` (e.g. video on a weak link); no renegotiation."""

    type: Literal["pause"]
    seat: Seat
    kind: MediaKind


class Resume(_Request):
    """Receive again what `pause` stopped; the server asks the sender for a keyframe."""

    type: Literal["resume"]
    seat: Seat
    kind: MediaKind


class ChatSend(_Request):
    """A chat line to everyone in the room, or ("team") to the interpreter seats only."""

    type: Literal["chat"]
    text: str = Field(min_length=1, max_length=2_000)
    to: ChatTo = "room"


class Interpretation(_Request):
    """Switch the interpretation mode (interpreter, partner or organiser)."""

    type: Literal["interpretation"]
    mode: InterpretationMode


class Direction(_Request):
    """The channel an interpreter's voice goes into now (one whose microphone they hold)."""

    type: Literal["direction"]
    channel: Channel


class Listen(_Request):
    """What the seat hears in simultaneous mode: the floor only (`channel` null), or a
    language channel with the floor underneath at `floor_level`. For an interpreter the
    channel is their relay source instead of the floor."""

    type: Literal["listen"]
    channel: Channel | None = None
    floor_level: float = Field(0.2, ge=0.0, le=1.0, allow_inf_nan=False)
    fallback: bool = Field(True, description="Full floor while the channel is silent.")
    back_channel: bool = Field(True, description="Interpreters: hear the partner's line.")


class Floor(_Request):
    """Mark whose turn it is in consecutive mode (interpreter, partner or organiser)."""

    type: Literal["floor"]
    floor: FloorTurn | None


class HandoverRequest(_Request):
    """A handover action on one channel's microphone (interpreter seats only)."""

    type: Literal["handover"]
    channel: Channel
    action: HandoverAction


class Leave(_Request):
    """Leave for good: no grace period, the seat is counted as left at once."""

    type: Literal["leave"]


class Ping(_Request):
    """Keep-alive; answered by an empty `response`."""

    type: Literal["ping"]


ClientMessage: TypeAlias = Annotated[
    Join
    | Answer
    | IceCandidate
    | Publish
    | Unpublish
    | Mute
    | Pause
    | Resume
    | ChatSend
    | Interpretation
    | Direction
    | Listen
    | Floor
    | HandoverRequest
    | Leave
    | Ping,
    Field(discriminator="type"),
]
# mypy reads an Annotated union alias passed as a value as a UnionType, not a type form.
client_adapter: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)  # type: ignore[arg-type, unused-ignore]
_client_adapter = client_adapter  # the name tests/security reads


def parse_client_message(text: str | bytes) -> ClientMessage:
    """One client message from its JSON text; MessageInvalid (with the id when readable)."""
    try:
        raw = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MessageInvalid("message is not JSON") from exc
    if not isinstance(raw, dict):
        raise MessageInvalid("message is not a JSON object")
    try:
        return client_adapter.validate_python(raw)
    except ValidationError as exc:
        request_id = raw.get("id")
        if not isinstance(request_id, str | int) or isinstance(request_id, bool):
            request_id = None
        elif isinstance(request_id, str) and len(request_id) > 64:
            request_id = None
        problems = [
            {"loc": ".".join(str(part) for part in error["loc"]), "msg": error["msg"]}
            for error in exc.errors(include_url=False, include_input=False)[:5]
        ]
        raise MessageInvalid(
            "message does not match the catalogue", id=request_id, problems=problems
        ) from exc


# Server -> client ---------------------------------------------------------------------------


class JoinData(_Message):
    """The `data` of the reply to `join`: the seat, the protocol and the room as it is now."""

    seat: Seat
    meeting_id: int
    protocol: str = Field(
        PROTOCOL_VERSION, description="The catalogue's version, major.minor: check the major."
    )
    rejoined: bool = Field(
        description="The seat was already in the room (a reconnect within the grace period, "
        "or a take-over of another device): its attendance row goes on."
    )
    phase: Phase
    seats: dict[Seat, PresenceState]
    muted: dict[Seat, MutedState] = Field(
        description="Every present seat's microphone and camera, this one's included."
    )
    speaking: list[Seat]
    starts_at: datetime
    ends_at: datetime


class ChatSent(_Message):
    """The `data` of the reply to `chat`."""

    message_id: int


class NoData(_Message):
    """The `data` of every other reply: an empty object."""


class Response(_Message):
    """Success reply to the request with the same `id`."""

    type: Literal["response"] = "response"
    id: str | int
    data: JoinData | ChatSent | NoData = Field(default_factory=NoData)


class Error(_Message):
    """Failure reply to the request with `id`, or a notice (no id) before the server closes."""

    type: Literal["error"] = "error"
    id: str | int | None = None
    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


class TrackInfo(_Message):
    """One m-line of an offer, as the client sees it: which way media goes on it, what it
    carries and whose it is. Every m-line of the SDP is listed, in the SDP's order; a
    reused m-line (same mid) may carry another track than in the last offer."""

    mid: str
    kind: MediaKind
    direction: LineDirection = Field(
        description="send: the client sends on it (the server's recvonly); receive: the "
        "client receives on it (sendonly); inactive: unused for now."
    )
    seat: Seat | None = Field(
        description="Whose media it carries: the client's own seat for `send`, the "
        "publishing seat for `receive`; null when inactive."
    )
    source: TrackSource | None = Field(description="What it carries; null when inactive.")
    track_id: str | None = Field(
        description="The relay's id of the track on it (as in `routing`); null for a `send` "
        "line the client has not sent on yet, and when inactive."
    )


class Offer(_Message):
    """An SDP offer from the server, answered by `answer` with the same id."""

    type: Literal["offer"] = "offer"
    id: str
    sdp: str
    tracks: list[TrackInfo] = Field(
        description="Every m-line of `sdp`, in order: re-map mids to tracks on every offer."
    )


class Presence(_Message):
    """A seat joined, dropped and may come back (`reconnecting`), or left."""

    type: Literal["presence"] = "presence"
    seat: Seat
    state: PresenceState
    at: datetime
    reason: LeftReason = Field("", description="Why a seat left; empty otherwise.")
    muted: MutedState | None = Field(
        None, description="For `joined`: the seat's microphone and camera as it joined."
    )


class MuteState(_Message):
    type: Literal["mute_state"] = "mute_state"
    seat: Seat
    kind: MediaKind
    muted: bool


class Speaking(_Message):
    """A seat started or stopped speaking (voice activity from the relay's audio levels)."""

    type: Literal["speaking"] = "speaking"
    seat: Seat
    speaking: bool
    at: datetime


class ActiveSpeaker(_Message):
    type: Literal["active_speaker"] = "active_speaker"
    seat: Seat | None
    at: datetime


class ChatMessage(_Message):
    type: Literal["chat"] = "chat"
    message_id: int
    seat: Seat
    text: str
    at: datetime
    to: ChatTo = "room"


class SlotTimer(_Message):
    """The slot's times; sent on join, at the end warning and when the organiser extends."""

    type: Literal["slot_timer"] = "slot_timer"
    starts_at: datetime
    ends_at: datetime
    seconds_left: float
    warning: bool


class RoomState(_Message):
    """The room's phase and who is in it; sent whenever either changes."""

    type: Literal["room_state"] = "room_state"
    phase: Phase
    seats: dict[Seat, PresenceState]


class InterpretationState(_Message):
    """The room's interpretation, sent to everyone on join and whenever it changes.

    `live`: channel -> the seat holding its microphone; `team`: channel -> its interpreter
    seats in order of joining; `alarm`: channels where two interpreters' microphones are
    open (not muted) and carrying voice (the relay heard them within the hold); `silent`:
    channels whose voice has been quiet for a while (the fallback raises the floor)."""

    type: Literal["interpretation_state"] = "interpretation_state"
    mode: InterpretationMode
    channels: list[str]
    live: dict[str, Seat]
    team: dict[str, list[Seat]]
    requested_by: dict[str, Seat | None]
    directions: dict[Seat, str]
    floor: FloorTurn | None
    alarm: list[str]
    silent: list[str]


class RoutingFeed(_Message):
    """One audio track a seat receives: whose, which layer, and the gain to play it at."""

    track_id: str
    seat: Seat
    source: AudioSource
    layer: Layer
    channel: str | None
    level: float


class Routing(_Message):
    """The audio a seat receives, sent to that seat on join and whenever it changes; the
    relay forwards no audio track that is not listed."""

    type: Literal["routing"] = "routing"
    feeds: list[RoutingFeed]


# No `ice_candidate` from the server: its offers carry every candidate of the relay.
ServerMessage: TypeAlias = Annotated[
    Response
    | Error
    | Offer
    | Presence
    | MuteState
    | Speaking
    | ActiveSpeaker
    | ChatMessage
    | SlotTimer
    | RoomState
    | InterpretationState
    | Routing,
    Field(discriminator="type"),
]
server_adapter: TypeAdapter[ServerMessage] = TypeAdapter(ServerMessage)  # type: ignore[arg-type, unused-ignore]


def dump(message: BaseModel) -> dict[str, Any]:
    """A server message as the JSON-ready dict sent on the socket."""
    data: dict[str, Any] = message.model_dump(mode="json", exclude_none=False)
    return data
