"""Request and response bodies of the rooms API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from app.schemas import ReadModel, StrictModel, UTCTime
from app.settings import IceServer
from rooms.seats import Seat


class LinksIssue(StrictModel):
    """Which seats get a new link (all the meeting's seats when left out)."""

    seats: list[Seat] | None = Field(None, max_length=4)
    expires_at: UTCTime | None = Field(
        None, description="When the links stop working; default: the slot's end plus the setting."
    )


class LinkRead(BaseModel):
    seat: Seat
    generation: int
    expires_at: datetime
    issued_at: datetime
    revoked: bool
    token: str | None = Field(None, description="Absent once revoked.")
    url: str | None = Field(None, description="The page a seat opens; the token is after `#`.")


class JoinRequest(StrictModel):
    token: Annotated[str, Field(min_length=1, max_length=512)]


class JoinParty(BaseModel):
    name: str
    country: str | None = None
    city: str | None = None


class JoinDetails(BaseModel):
    """What a seat's client needs before it opens the websocket."""

    meeting_id: int
    mission_id: int
    mission_name: str
    seat: Seat
    company: JoinParty
    buyer: JoinParty
    interpreter: JoinParty | None
    partner: JoinParty | None = None  # the second interpreter (booth partner), if booked
    language_pair: str
    starts_at: datetime
    ends_at: datetime
    opens_at: datetime
    now: datetime = Field(
        description="The service's clock when it answered: the lobby counts down to the room by "
        "it, so a device whose clock is wrong still opens the room on time."
    )
    status: str
    room_open: bool
    websocket_url: str = Field(
        description="Where this seat's signalling goes now: the node its meeting's room is on."
    )
    entry_websocket_url: str = Field(
        description="Where to reconnect after a drop: the service's entry, which sends the seat "
        "on to the room's node (`room_elsewhere`, close 4015) wherever the room lives then."
    )
    ice_servers: list[IceServer]
    link_expires_at: datetime
    protocol: str = Field(
        description="The websocket's message catalogue version (major.minor); its JSON Schema "
        "is at /api/v1/signalling/schema/server and /client."
    )


class ExtendRequest(StrictModel):
    minutes: int = Field(ge=1, le=240)


class AttendanceRead(ReadModel):
    id: int
    meeting_id: int
    seat: Seat
    joined_at: datetime
    left_at: datetime | None
    left_reason: str
    reconnects: int
    device: str


class BoardRoom(BaseModel):
    meeting_id: int
    status: str
    starts_at: datetime
    ends_at: datetime
    open: bool
    live: dict[str, Any] | None = Field(None, description="The open room's state.")
    node: str | None = Field(None, description="The node the open room runs on.")
    refused_at: datetime | None = Field(
        None,
        description="A join was refused at this time because every node was at capacity "
        "(and the room has not opened since).",
    )


class Board(BaseModel):
    mission_id: int
    at: datetime
    rooms: list[BoardRoom]
