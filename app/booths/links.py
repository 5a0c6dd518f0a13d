"""Booth-link tokens: signed like seat links, scoped to one venue, mission and side."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from itsdangerous import BadSignature, URLSafeSerializer

from app.booths.exceptions import BoothLinkExpired, BoothLinkInvalid
from rooms.seats import Seat

# A salt of its own: a seat token can never pass for a booth token, nor the reverse.
_SALT = "tradebooth.booth-link.v1"
KIOSK_SEATS = (Seat.COMPANY, Seat.BUYER)


@dataclass(frozen=True, slots=True)
class BoothClaims:
    venue_id: int
    mission_id: int
    seat: Seat
    generation: int
    expires_at: datetime


class BoothSigner:
    """Signs and checks booth tokens with the service's secret key (HMAC via itsdangerous)."""

    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeSerializer(secret_key, salt=_SALT)

    def sign(self, claims: BoothClaims) -> str:
        payload = [
            claims.venue_id,
            claims.mission_id,
            claims.seat.value,
            claims.generation,
            int(claims.expires_at.timestamp()),
        ]
        return str(self._serializer.dumps(payload))

    def check(self, token: str, *, now: datetime) -> BoothClaims:
        """The claims of a token this service signed and that has not expired."""
        if not token or len(token) > 512:
            raise BoothLinkInvalid()
        try:
            venue_id, mission_id, seat, generation, expires = self._serializer.loads(token)
            claims = BoothClaims(
                venue_id=int(venue_id),
                mission_id=int(mission_id),
                seat=Seat(seat),
                generation=int(generation),
                expires_at=datetime.fromtimestamp(int(expires), UTC),
            )
        except (BadSignature, TypeError, ValueError) as exc:
            raise BoothLinkInvalid() from exc
        if claims.seat not in KIOSK_SEATS:
            raise BoothLinkInvalid()
        if now >= claims.expires_at:
            raise BoothLinkExpired(expired_at=claims.expires_at.isoformat())
        return claims
