"""Meetings: one 1:1 consultation between a company and a buyer in a time slot."""
