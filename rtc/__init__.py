"""Media relay: a packet-forwarding WebRTC SFU on aiortc. Knows nothing of HTTP or the database."""
