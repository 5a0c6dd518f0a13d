"""Request and response bodies of booth mode."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.schemas import ReadModel, StrictModel
from app.settings import IceServer
from rooms.seats import Seat

CheckName = Literal["camera", "microphone", "speaker", "bandwidth", "turn"]
CHECK_NAMES: tuple[CheckName, ...] = ("camera", "microphone", "speaker", "bandwidth", "turn")


class BoothLinkIssue(StrictModel):
    """Issue (or re-issue) a venue's kiosk link; the earlier one stops working."""

    seat: Literal["company", "buyer"] | None = Field(
        None,
        description="The side the kiosk sits on. Default: company for a booth, buyer for a "
        "business-centre room; required for a remote venue.",
    )
    join_lead_seconds: int | None = Field(
        None,
        ge=0,
        le=3600,
        description="Join each meeting this long before its slot; default: the service's "
        "TRADEBOOTH_KIOSK_JOIN_LEAD_SECONDS.",
    )


class BoothLinkRead(BaseModel):
    venue_id: int
    mission_id: int
    seat: Seat
    generation: int
    expires_at: datetime
    issued_at: datetime
    revoked: bool
    join_lead_seconds: int | None
    token: str | None = Field(None, description="None once revoked.")
    url: str | None = Field(None, description="{public_base_url}/kiosk#{token}")


class CheckItem(StrictModel):
    """One check of the kiosk's self-test."""

    ok: bool
    reason: str = Field(
        "",
        max_length=60,
        pattern=r"^[a-z0-9_]*$",
        description="Why it failed (or how it passed, e.g. turn `not_configured`): a code the "
        "board and the kiosk show as plain text.",
    )
    value: float | None = Field(
        None,
        ge=0,
        description="microphone: peak level 0..1; bandwidth: the lower of upload and download "
        "in kbit/s; speaker: seconds of tone played.",
    )
    detail: str = Field("", max_length=200)


class SelfTestReport(StrictModel):
    checks: dict[CheckName, CheckItem]
    device: str = Field("", max_length=200)


class BoothCheckRead(ReadModel):
    venue_id: int
    mission_id: int
    at: datetime
    ready: bool
    problems: list[str] = Field(description="`check.reason` of each check that failed")
    checks: dict[str, Any]
    device: str


class KioskMeeting(BaseModel):
    meeting_id: int
    starts_at: datetime
    ends_at: datetime
    status: str
    company: str
    buyer: str
    buyer_company: str
    buyer_country: str
    buyer_city: str
    interpreter: str | None
    language_pair: str


class KioskDetails(BaseModel):
    """What a kiosk shows and needs: its venue, today's agenda there, the timings."""

    venue_id: int
    venue_name: str
    venue_kind: str
    seat: Seat
    timezone: str
    city: str
    country: str
    mission_id: int
    mission_name: str
    link_expires_at: datetime
    now: datetime
    day: str = Field(description="The venue's local date the agenda is for (YYYY-MM-DD).")
    join_lead_seconds: float
    reminder_minutes: float
    room_open_lead_seconds: float
    bandwidth_bytes: int = Field(description="Size of the self-test's download/upload sample.")
    ice_servers: list[IceServer]
    meetings: list[KioskMeeting]
    last_check: BoothCheckRead | None


class KioskToken(BaseModel):
    meeting_id: int
    seat: Seat
    token: str
    url: str


class BandwidthEcho(BaseModel):
    received_bytes: int


class RingRequest(StrictModel):
    meeting_id: int | None = Field(None, gt=0, le=2**31 - 1)


class RingResult(BaseModel):
    venue_id: int
    delivered: int = Field(description="Kiosks of this venue listening that got the ring.")


class AttendanceFlag(BaseModel):
    meeting_id: int
    mission_id: int
    missing: list[Seat]
    since: datetime
    company_venue_id: int | None
    buyer_venue_id: int | None


class BoothStatus(BaseModel):
    venue_id: int
    name: str
    kind: str
    timezone: str
    link: BoothLinkRead | None
    kiosks_online: int
    last_check: BoothCheckRead | None


class BoothsBoard(BaseModel):
    mission_id: int
    booths: list[BoothStatus]
    flags: list[AttendanceFlag]
