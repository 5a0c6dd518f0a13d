"""The interpreter seat and per-listener audio routing by language."""

from interpreters.exceptions import InterpretationError
from interpreters.floor import FloorMarker, Turn
from interpreters.handover import Handover, live_by_channel
from interpreters.routing import (
    Action,
    Change,
    Feed,
    Layer,
    Routing,
    apply,
    check_relay,
    choose,
    diff,
    relay_sources,
    route,
)
from interpreters.silence import VoiceActivity
from interpreters.state import (
    Choice,
    Mode,
    Participant,
    Role,
    RoomState,
    TrackRef,
    TrackSource,
)

__all__ = [
    "Action",
    "Change",
    "Choice",
    "Feed",
    "FloorMarker",
    "Handover",
    "InterpretationError",
    "Layer",
    "Mode",
    "Participant",
    "Role",
    "RoomState",
    "Routing",
    "TrackRef",
    "TrackSource",
    "Turn",
    "VoiceActivity",
    "apply",
    "check_relay",
    "choose",
    "diff",
    "live_by_channel",
    "relay_sources",
    "route",
]
