"""Interpreters' duty log: minutes live per interpreter, meeting and channel, for payment."""
