"""Tests of app.participants."""
