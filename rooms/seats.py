"""The seats of a consultation room and what each may do."""

from __future__ import annotations

import enum


class Seat(enum.StrEnum):
    COMPANY = "company"  # the domestic SME, from a district-office booth
    BUYER = "buyer"  # the overseas buyer, from a business centre or its office
    INTERPRETER = "interpreter"  # the third party, anywhere
    ORGANISER = "organiser"  # observer: sees and hears, unseen and muted unless it speaks

    @property
    def is_observer(self) -> bool:
        return self is Seat.ORGANISER


# The seats whose presence makes a consultation: the lobby ends when two of them are in.
PARTICIPANT_SEATS = (Seat.COMPANY, Seat.BUYER, Seat.INTERPRETER)
