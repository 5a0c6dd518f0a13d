"""Bodies of the sign-in API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.auth.models import UserRole
from app.auth.passwords import MAX_LENGTH, MIN_LENGTH
from app.schemas import Email, PrimaryKey, ReadModel, ShortText, StrictModel


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


class UserAdminRead(UserRead):
    """A user as admins see it: whether they may sign in, have a password yet, organise."""

    active: bool
    has_password: bool
    mission_ids: list[int]
    invitation_expires_at: datetime | None = None


class UserInvite(StrictModel):
    email: Email
    name: ShortText = ""
    role: UserRole
    organisation_id: PrimaryKey | None = Field(
        None, description="Needed for organisers and viewers; admins belong to none."
    )
    mission_ids: list[PrimaryKey] = Field(
        default_factory=list, max_length=500, description="Missions an organiser changes."
    )


class UserChange(StrictModel):
    name: ShortText | None = None
    role: UserRole | None = None
    organisation_id: PrimaryKey | None = None
    mission_ids: list[PrimaryKey] | None = Field(None, max_length=500)
    active: bool | None = Field(None, description="False: cannot sign in; sessions end.")


class InvitationRead(BaseModel):
    user: UserAdminRead
    url: str = Field(description="The one-time link to pass on; shown only now.")
    expires_at: datetime


class AcceptInvitation(BaseModel):
    # Not StrictModel: a password's surrounding blanks are part of it.
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=MIN_LENGTH, max_length=MAX_LENGTH)
