"""SRTP on the forwarding path: libsrtp called in place on one scratch buffer per process.

pylibsrtp's `Session.protect`/`unprotect` copy the packet into the session's buffer,
allocate a length cell and check their arguments on every call; on the forwarding path
the relay writes the rewritten packet straight into one preallocated buffer, has libsrtp
protect it there, and copies out only the result. The event loop is single-threaded and
every user copies its result out before the next call, so one buffer serves the process.
The sessions themselves are aiortc's (`RTCDtlsTransport._tx_srtp` / `_rx_srtp`).
"""

from __future__ import annotations

from typing import Any

import pylibsrtp
from pylibsrtp._binding import ffi, lib

# libsrtp appends at most a 16-byte tag plus an MKI (pylibsrtp reserves 16 + 128); RTP
# packets on the wire stay under the path MTU (~1500), so 2048 bytes always fit.
SCRATCH_SIZE = 2048
MAX_TRAILER = 16 + 128
MAX_PACKET = SCRATCH_SIZE - MAX_TRAILER

_cdata = ffi.new("char[]", SCRATCH_SIZE)
_length = ffi.new("int *")
scratch: Any = ffi.buffer(_cdata)  # writable: slice assignment and struct.pack_into
_protect = lib.srtp_protect
_unprotect = lib.srtp_unprotect
_OK = lib.srtp_err_status_ok
# for callers that inline `unprotect` (the ingress fast path)
cdata, length_cell, lib_unprotect, OK = _cdata, _length, _unprotect, _OK


def session_pointer(session: pylibsrtp.Session) -> Any:
    """The libsrtp context of a pylibsrtp session (what srtp_protect takes)."""
    return session._srtp[0]


def protect_scratch(context: Any, length: int) -> bytes | None:
    """Protect the `length`-byte RTP packet written at the start of `scratch`; the SRTP
    packet, or None if libsrtp refused (e.g. the session was closed)."""
    _length[0] = length
    if _protect(context, _cdata, _length) != _OK:
        return None
    result: bytes = scratch[0 : _length[0]]
    return result


def protect(context: Any, packet: bytes) -> bytes | None:
    """Protect a whole RTP packet (the retransmission path)."""
    length = len(packet)
    if length > MAX_PACKET:
        return None
    scratch[0:length] = packet
    return protect_scratch(context, length)


def unprotect(context: Any, data: bytes) -> bytes | None:
    """The RTP packet inside an SRTP packet, or None if it does not authenticate (or is a
    replay, or too long for the scratch buffer)."""
    length = len(data)
    if length > SCRATCH_SIZE:
        return None
    scratch[0:length] = data
    _length[0] = length
    if _unprotect(context, _cdata, _length) != _OK:
        return None
    result: bytes = scratch[0 : _length[0]]
    return result
