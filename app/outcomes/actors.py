"""Who records: a person in a role. Stated by the caller until authentication arrives."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    COMPANY_SEAT = "company_seat"
    INTERPRETER = "interpreter"
    ORGANISER = "organiser"


@dataclass(frozen=True, slots=True)
class Actor:
    """The person behind a change; the security issue will build it from the session instead."""

    name: str
    role: Role

    @property
    def is_organiser(self) -> bool:
        return self.role is Role.ORGANISER
