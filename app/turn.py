"""Time-limited TURN credentials for seats (coturn's `use-auth-secret` REST scheme).

The service and coturn share one secret; the service mints, per seat, a username
`<expiry-unix>:<seat-id>` and a password `base64(HMAC-SHA1(secret, username))`. coturn
recomputes the password from the username and refuses it once the expiry has passed, so
no credential store is needed and a leaked credential dies by itself (ASVS 17.1.1).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.settings import IceServer, Settings

# coturn splits the username at ':'; a seat id is kept to characters that need no escaping.
_SEAT_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


@dataclass(frozen=True, slots=True)
class TurnCredential:
    username: str
    credential: str
    expires_at: datetime


def seat_id(meeting_id: int, seat: str) -> str:
    """The id a seat's TURN username carries: which meeting and seat the allocation is for."""
    return f"meeting-{meeting_id}-{seat}"


def mint(*, secret: str, seat_id: str, expires_at: datetime) -> TurnCredential:
    """A credential coturn accepts until `expires_at` (aware datetime)."""
    if not _SEAT_ID.match(seat_id):
        raise ValueError(f"seat id {seat_id!r} must be 1-100 of A-Z a-z 0-9 . _ -")
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    username = f"{int(expires_at.timestamp())}:{seat_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return TurnCredential(
        username=username, credential=base64.b64encode(digest).decode(), expires_at=expires_at
    )


def ice_servers_for_seat(settings: Settings, *, seat_id: str, now: datetime) -> list[IceServer]:
    """The ICE servers to hand one seat: the static ones, plus TURN with fresh credentials."""
    servers = list(settings.ice_servers)
    if settings.turn_urls and settings.turn_secret is not None:
        credential = mint(
            secret=settings.turn_secret.get_secret_value(),
            seat_id=seat_id,
            expires_at=now + timedelta(seconds=settings.turn_credential_ttl_seconds),
        )
        servers.append(
            IceServer(
                urls=list(settings.turn_urls),
                username=credential.username,
                credential=credential.credential,
            )
        )
    return servers
