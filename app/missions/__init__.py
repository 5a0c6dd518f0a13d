"""Missions (trade missions, video export consultations) and their venues and booths."""
