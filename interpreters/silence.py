"""Silent-channel detection: which live channels carry no voice, from speaking events.

rtc/ reports each peer's speaking on/off from the audio levels it relays (`media_speaking`);
rooms/ feeds those events here with its monotonic clock and puts `silent_channels(...)`
into `RoomState.silent`, so listeners with the fallback on get the floor at full level.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

from interpreters.routing import sounding_channels
from interpreters.state import RoomState

# Long enough to bridge an interpreter's pauses between sentences, short enough that a
# listener is not left with a quiet floor while the speaker talks in their own language.
DEFAULT_HOLD = 2.0


@dataclass(frozen=True, slots=True)
class VoiceActivity:
    """Who is speaking, and when each peer last stopped (seconds on a monotonic clock).

    Kept per peer, not per channel: an interpreter who swaps direction while speaking
    brings their voice to the new channel at once.
    """

    hold: float = DEFAULT_HOLD
    speaking: frozenset[str] = frozenset()
    stopped_at: Mapping[str, float] = field(default_factory=dict)

    def update(self, peer_id: str, speaking: bool, *, at: float) -> VoiceActivity:
        if speaking:
            return dataclasses.replace(self, speaking=self.speaking | {peer_id})
        if peer_id not in self.speaking:
            return self  # a repeated "stopped" must not push the silence further away
        return dataclasses.replace(
            self,
            speaking=self.speaking - {peer_id},
            stopped_at={**self.stopped_at, peer_id: at},
        )

    def quiet(self, peer_id: str, *, now: float) -> bool:
        """Not speaking, and not for at least `hold` seconds (or never heard at all)."""
        if peer_id in self.speaking:
            return False
        stopped = self.stopped_at.get(peer_id)
        # Compared as `stopped + hold`, the very sum `next_change` returns, so a timer set
        # for that moment finds the peer quiet (float subtraction can miss it by an ulp).
        return stopped is None or now >= stopped + self.hold

    def silent_channels(self, state: RoomState, *, now: float) -> frozenset[str]:
        """The channels whose current voice is quiet: the value for `RoomState.silent`."""
        return frozenset(
            channel
            for channel, peer_id in sounding_channels(state).items()
            if self.quiet(peer_id, now=now)
        )

    def next_change(self, *, now: float) -> float | None:
        """When a peer who stopped speaking will turn quiet, if any will: rooms/ sets one
        timer for it instead of polling."""
        pending = [
            stopped + self.hold
            for peer_id, stopped in self.stopped_at.items()
            if peer_id not in self.speaking and stopped + self.hold > now
        ]
        return min(pending, default=None)
