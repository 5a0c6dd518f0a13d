"""Matching: explainable scores between overseas buyers and domestic companies."""
