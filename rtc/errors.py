"""Errors raised by rtc/: one base class, one subclass per thing that went wrong."""

from __future__ import annotations


class RtcError(Exception):
    """Base class of every error raised by the media relay."""


class IncompatibleAiortc(RtcError):
    """The installed aiortc is not the version, or lacks the internals, the relay hooks."""


class RoomExists(RtcError):
    """A room with this id is already open in the registry."""


class UnknownRoom(RtcError):
    """No open room has this id."""


class RoomClosed(RtcError):
    """The room was closed; nothing can join or publish any more."""


class PeerExists(RtcError):
    """A peer with this id is already in the room."""


class UnknownPeer(RtcError):
    """No peer with this id is in the room."""


class PeerClosed(RtcError):
    """The peer was closed (left, failed ICE, or its room closed)."""


class UnknownTrack(RtcError):
    """No published track with this id is in the room."""


class NegotiationError(RtcError):
    """An answer or candidate came when none was expected, or could not be applied."""
