"""Tests of app.meetings."""
