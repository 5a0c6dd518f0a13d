"""Errors of the scheduling core; the API maps SchedulingError subclasses to 4xx answers."""


class SchedulingError(Exception):
    """Base class of every error the scheduling core raises on bad input."""


class InvalidProblem(SchedulingError):
    """The mission, venues, parties or requests contradict themselves."""


class UnknownReference(InvalidProblem):
    """A request, company or buyer names an id that is not in the problem."""
