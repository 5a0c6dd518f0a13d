"""The seats of a consultation room and what each may do."""

from __future__ import annotations

import enum


class Seat(enum.StrEnum):
    COMPANY = "company"  # the domestic SME, from a district-office booth
    BUYER = "buyer"  # the overseas buyer, from a business centre or its office
    INTERPRETER = "interpreter"  # the third party, anywhere
    PARTNER = "partner"  # the second interpreter (booth partner), when one is booked
    ORGANISER = "organiser"  # observer: sees and hears, unseen and muted unless it speaks

    @property
    def is_observer(self) -> bool:
        return self is Seat.ORGANISER

    @property
    def is_interpreter(self) -> bool:
        """The interpreter or the booth partner: the seats of the interpreting team."""
        return self in INTERPRETER_SEATS


# The interpreting team: either may hold a channel's microphone, hand it over, publish the
# back-channel and read the team chat.
INTERPRETER_SEATS = (Seat.INTERPRETER, Seat.PARTNER)

# The seats whose presence makes a consultation: the lobby ends when two of them are in.
PARTICIPANT_SEATS = (Seat.COMPANY, Seat.BUYER, Seat.INTERPRETER, Seat.PARTNER)
