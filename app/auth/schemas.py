"""Bodies of the sign-in API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.auth.models import UserRole
from app.schemas import ReadModel


class SignInRequest(BaseModel):
    # Not StrictModel: a password's surrounding blanks are part of it.
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)


class UserRead(ReadModel):
    id: int
    email: str
    name: str
    role: UserRole
    organisation_id: int | None


class Me(UserRead):
    organised_mission_ids: list[int]


class SignedInRead(ReadModel):
    user: UserRead
    csrf_token: str = Field(description="Send it back as the X-CSRF-Token header on writes.")
    expires_at: datetime
