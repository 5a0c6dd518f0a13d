"""Tests of app.organisations."""
