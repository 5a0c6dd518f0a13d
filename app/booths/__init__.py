"""Booth mode: kiosk links per booth, the kiosk agenda and self-test, attendance flags, ringing."""
