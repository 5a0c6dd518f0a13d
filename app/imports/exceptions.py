"""Errors of the import package: a file refused with its bad rows, a preview gone stale."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.errors import AppError, Conflict, InvalidRequest

if TYPE_CHECKING:
    from app.imports.plan import Plan


def problems_out(plan: Plan) -> list[dict[str, Any]]:
    """Each bad row's problems: line, key, field, code, an English message and its values."""
    from app.i18n import Translator

    english = Translator("en")
    return [
        {
            "line": row.line,
            "key": row.key,
            "field": problem.field,
            "code": problem.code,
            "message": english(problem.key, **problem.params),
            "params": problem.params,
        }
        for row in plan.rows
        for problem in row.problems
    ]


class ImportsError(AppError):
    """Base of the import package's errors (the status comes from the second base)."""


class ImportRefused(ImportsError, InvalidRequest):
    """The file has bad rows (422): each is named with its field; nothing was written."""

    def __init__(self, plan: Plan) -> None:
        bad = plan.bad
        super().__init__(
            f"{len(bad)} of {len(plan.rows)} rows cannot be imported "
            f"(lines {', '.join(str(row.line) for row in bad[:20])}"
            f"{', ...' if len(bad) > 20 else ''}); nothing was written",
            bad_lines=[row.line for row in bad],
            problems=problems_out(plan),
        )
        self.plan = plan


class ImportChanged(ImportsError, Conflict):
    """The mission's records changed since the preview (409): preview the file again."""

    def __init__(self, plan: Plan) -> None:
        super().__init__(
            "the mission's meetings or outcomes changed since the preview; preview the file "
            "again and confirm what it shows",
            digest=plan.digest(),
        )
        self.plan = plan
