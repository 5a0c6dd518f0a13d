"""Errors of the money package."""

from __future__ import annotations

from datetime import date

from app.errors import InvalidRequest


class MoneyError(InvalidRequest):
    """Base of the money package's errors (HTTP 422)."""


class RateMissing(MoneyError):
    """No rate for a currency dated on or before the day an amount is converted for."""

    def __init__(
        self, *, mission_id: int, currency: str, on: date, field: str = "currency"
    ) -> None:
        super().__init__(
            f"No exchange rate for {currency} dated on or before {on.isoformat()} in mission "
            f"{mission_id}'s rate table: the organiser enters it first with "
            f"PUT /api/v1/missions/{mission_id}/exchange-rates",
            field=field,
            currency=currency,
            date=on.isoformat(),
        )
