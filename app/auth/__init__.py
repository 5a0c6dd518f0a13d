"""Organisers' console accounts: users, roles, sign-in sessions, CSRF and sign-in throttling."""
