"""Who records: a person in a role, and the credential behind it (for the audit log)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    COMPANY_SEAT = "company_seat"
    INTERPRETER = "interpreter"
    ORGANISER = "organiser"


@dataclass(frozen=True, slots=True)
class Actor:
    """The person behind a change: the name they type, the role their credential gives (a
    seat link's seat; a console user states it), and `audit`, the credential as the audit log
    names it (`user:<id> <email>`, `seat:<seat>@meeting:<id>`)."""

    name: str
    role: Role
    audit: str = "system"

    @property
    def is_organiser(self) -> bool:
        return self.role is Role.ORGANISER
