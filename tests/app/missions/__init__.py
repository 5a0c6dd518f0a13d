"""Tests of app.missions."""
