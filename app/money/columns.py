"""A Decimal column kept as canonical text: exact on SQLite too (exchange rates are not summed)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.types import String, TypeDecorator


class DecimalText(TypeDecorator[Decimal]):
    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> str | None:
        if value is None:
            return None
        # Normalised without exponent, so equal rates compare and group as equal text.
        return format(value.normalize(), "f")

    def process_result_value(self, value: str | None, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(value)
