"""Waiting on a condition with a deadline: the suite's one waiter, re-exported for the kit."""

from tests.waiting import wait_for

__all__ = ["wait_for"]
