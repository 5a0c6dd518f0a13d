"""Shared media test kit: synthetic sources, read-back analysis and a loopback client.

client = LoopbackClient("alice")             # publishes a tone and a counter video
peer = room.add_peer("alice", client)        # the client is the peer's signal sink
client.connect(peer.handle_answer)           # answers go back to the relay
await wait_for(lambda: client.any_video() and client.any_video().frames > 10, 10)
"""

from .analysis import dominant_frequency, frame_psnr, luma_of, psnr, read_counter, tones_present
from .client import LoopbackClient, ReceivedAudio, ReceivedVideo
from .sources import CounterVideoTrack, ToneAudioTrack, make_frame, make_luma
from .waiting import wait_for

__all__ = [
    "CounterVideoTrack",
    "LoopbackClient",
    "ReceivedAudio",
    "ReceivedVideo",
    "ToneAudioTrack",
    "dominant_frequency",
    "frame_psnr",
    "luma_of",
    "make_frame",
    "make_luma",
    "psnr",
    "read_counter",
    "tones_present",
    "wait_for",
]
