"""Outcomes of meetings, kept as versioned history."""
