"""What the meetings import answers: counts, each row's fate and every problem."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from app.imports.exceptions import problems_out
from app.imports.plan import Plan


class RowProblemOut(BaseModel):
    line: int = Field(description="The row's number in the sheet; the heading is line 1.")
    key: str = Field(description="The meeting key of the row (or the one made from its cells).")
    field: str = Field(description="The column's field, e.g. 'company'; '' for the row.")
    code: str = Field(description="What is wrong, e.g. 'company_unknown', 'clash_line'.")
    message: str
    params: dict[str, Any]


class RowOut(BaseModel):
    line: int
    key: str
    ok: bool
    action: str = Field(description="What happens to the meeting: create, update, unchanged.")
    outcome_action: str = Field(description="'version' (a new version), 'unchanged' or ''.")


class ImportCounts(BaseModel):
    rows: int
    bad_rows: int
    meetings: int
    meetings_created: int
    meetings_updated: int
    meetings_unchanged: int
    held: int
    no_shows: int
    outcome_versions: int = Field(description="Outcome versions the import writes.")
    outcomes_changed: int = Field(description="Meetings whose outcome gets a new version.")


class MeetingsImportOut(BaseModel):
    ok: bool = Field(description="No bad row: confirming writes what `counts` says.")
    applied: bool = Field(description="Written (the confirm call) or only previewed.")
    digest: str = Field(
        description="Fingerprint of what confirming writes; send it as `preview_digest` to "
        "confirm exactly what was previewed (409 if the mission changed meanwhile)."
    )
    counts: ImportCounts
    columns: list[str] = Field(description="The fields read, in the file's column order.")
    ignored_columns: list[str] = Field(description="Headings the importer does not know.")
    problems: list[RowProblemOut]
    rows: list[RowOut]

    @classmethod
    def of(cls, plan: Plan, *, applied: bool) -> MeetingsImportOut:
        return cls(
            ok=plan.ok,
            applied=applied,
            digest=plan.digest(),
            counts=ImportCounts(**plan.counts()),
            columns=plan.columns,
            ignored_columns=plan.unknown_headings,
            problems=[RowProblemOut(**problem) for problem in problems_out(plan)],
            rows=[
                RowOut(
                    line=row.line,
                    key=row.key,
                    ok=row.ok,
                    action=row.action,
                    outcome_action=row.outcome_action,
                )
                for row in plan.rows
            ],
        )
