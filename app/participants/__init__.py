"""Participants of a mission: companies, buyers and interpreters."""
