"""InterpretationError: every failure interpreters/ reports on purpose, one class per cause."""

from __future__ import annotations


class InterpretationError(Exception):
    """Base of interpreters/ errors; `code` is the stable name clients see in `error` messages.

    The edge maps all of them to a refused request (websocket error response, HTTP 409/422);
    none of them means the room is broken, so none closes a connection.
    """

    code = "interpretation_error"

    def __init__(self, message: str = "", **details: object) -> None:
        text = message or (self.__class__.__doc__ or self.code).strip()
        super().__init__(text)
        self.message = text
        self.details = details


# Room state -------------------------------------------------------------------------------


class UnknownPeer(InterpretationError):
    """No seat with this peer id is present in the room."""

    code = "unknown_peer"


class UnknownChannel(InterpretationError):
    """The room has no interpretation channel in this language."""

    code = "unknown_channel"


class NotAnInterpreter(InterpretationError):
    """Only an interpreter seat may do this."""

    code = "not_an_interpreter"


class InvalidLevel(InterpretationError):
    """A floor level must be between 0 (silent) and 1 (full)."""

    code = "invalid_level"


class RelayLoop(InterpretationError):
    """This relay source would feed the interpreter's own channel back to them."""

    code = "relay_loop"


# Handover ---------------------------------------------------------------------------------


class HandoverError(InterpretationError):
    """The handover action does not fit the channel's current state."""

    code = "handover_error"


class NotOnTeam(HandoverError):
    """The interpreter is not on this channel's team."""

    code = "not_on_team"


class NotLive(HandoverError):
    """Only the interpreter live on the channel may do this."""

    code = "not_live"


class NoPartner(HandoverError):
    """There is no other interpreter on the channel to hand over to, or more than one to pick."""

    code = "no_partner"


class NoPendingRequest(HandoverError):
    """There is no handover request to answer on this channel."""

    code = "no_pending_request"


class LiveConnected(HandoverError):
    """The interpreter live on the channel is connected: ask them for a handover instead."""

    code = "live_connected"


class RequestPending(HandoverError):
    """Another handover request on this channel is waiting for an answer."""

    code = "request_pending"


# Floor marker -----------------------------------------------------------------------------


class FloorMarkNotAllowed(InterpretationError):
    """Only the interpreter or the organiser marks whose turn it is."""

    code = "floor_mark_not_allowed"


class FloorMarkUnavailable(InterpretationError):
    """The floor marker belongs to consecutive interpretation; this meeting is simultaneous."""

    code = "floor_mark_unavailable"
