"""Scheduling core: place approved meeting requests into conflict-free slots."""
