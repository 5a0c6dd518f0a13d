"""Organiser organisations: district offices, cities, partner agencies."""
