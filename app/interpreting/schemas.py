"""Response bodies of the duty log."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, PlainSerializer

# Minutes to a tenth as a JSON number (the value is already rounded, so the float prints
# the same digits).
Minutes = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


class DutyRow(BaseModel):
    """One interpreter on one channel of one meeting."""

    interpreter_id: int
    interpreter: str
    meeting_id: int
    meeting_starts_at: datetime
    company: str
    buyer: str
    channel: str = Field(description="The language the interpreter spoke into, e.g. 'ko'.")
    stretches: int = Field(description="How many times the interpreter went live on it.")
    seconds: float = Field(description="Exact time live: overlapping stretches count once.")
    minutes: Minutes = Field(description="`seconds` in minutes, rounded half to even to 0.1.")


class DutyTotal(BaseModel):
    """One interpreter over the whole mission: time live on at least one channel."""

    interpreter_id: int
    interpreter: str
    meetings: int
    seconds: float = Field(
        description="Time on duty; live on two channels at once (consecutive mode) counts once."
    )
    minutes: Minutes


class DutyLog(BaseModel):
    mission_id: int
    mission: str
    rows: list[DutyRow]
    totals: list[DutyTotal]
    total_minutes: Minutes = Field(description="Every interpreter's time on duty, summed.")


class Candidate(BaseModel):
    """An interpreter of the mission, as a choice for one meeting."""

    interpreter_id: int
    name: str
    language_pairs: list[str]
    seat: Literal["interpreter", "partner"] | None = Field(
        description="The seat this interpreter already holds in the meeting, if any."
    )
    fits: bool = Field(description="Languages link the two sides, available, not booked then.")
    problems: list[str] = Field(description="Why not, when it does not fit.")
