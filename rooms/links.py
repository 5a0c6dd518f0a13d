"""Join-link tokens: signed, expiring, bound to one meeting, one seat and one link generation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from itsdangerous import BadSignature, URLSafeSerializer

from rooms.errors import LinkExpired, LinkInvalid, LinkWrongMeeting
from rooms.seats import Seat

_SALT = "tradebooth.seat-link.v1"


@dataclass(frozen=True, slots=True)
class LinkClaims:
    """What a valid token says; the generation is checked against the database by the caller."""

    meeting_id: int
    seat: Seat
    generation: int
    expires_at: datetime


class LinkSigner:
    """Signs and checks seat tokens with the service's secret key (HMAC-SHA1 via itsdangerous)."""

    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeSerializer(secret_key, salt=_SALT)

    def sign(self, claims: LinkClaims) -> str:
        payload = [
            claims.meeting_id,
            claims.seat.value,
            claims.generation,
            int(claims.expires_at.timestamp()),
        ]
        return str(self._serializer.dumps(payload))

    def read(self, token: str) -> LinkClaims:
        """The claims of a token this service signed; LinkInvalid otherwise. Expiry not checked."""
        if not token or len(token) > 512:
            raise LinkInvalid()
        try:
            payload = self._serializer.loads(token)
        except BadSignature as exc:
            raise LinkInvalid() from exc
        try:
            meeting_id, seat, generation, expires = payload
            claims = LinkClaims(
                meeting_id=int(meeting_id),
                seat=Seat(seat),
                generation=int(generation),
                expires_at=datetime.fromtimestamp(int(expires), UTC),
            )
        except (TypeError, ValueError) as exc:
            raise LinkInvalid() from exc
        return claims

    def check(self, token: str, *, meeting_id: int | None, now: datetime) -> LinkClaims:
        """Claims of a token that is signed, unexpired and (when given) for `meeting_id`."""
        claims = self.read(token)
        if meeting_id is not None and claims.meeting_id != meeting_id:
            raise LinkWrongMeeting(meeting_id=meeting_id)
        if now >= claims.expires_at:
            raise LinkExpired(expired_at=claims.expires_at.isoformat())
        return claims
