"""What a meetings import would do: each row's problems, each meeting's change, the counts."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from app.imports.tables import Cell, text
from app.meetings.models import MeetingStatus
from app.money.schemas import Conversion
from app.outcomes.models import InterestLevel, OutcomeVersion

# -- problems and results ---------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a row: its field ("" = the row) and catalogue code with values."""

    field: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"import.meetings.error.{self.code}"


@dataclass(frozen=True)
class OutcomeValues:
    """What one outcome version says, in the currency's minor units (compared for changes)."""

    currency: str
    consultation_value_minor: int
    expected_contract_value_minor: int
    onsite_contract_minor: int | None
    mou_minor: int | None
    interest_level: InterestLevel
    samples: str
    next_steps: str
    notes: str

    @classmethod
    def of(cls, row: OutcomeVersion) -> OutcomeValues:
        return cls(
            currency=row.currency,
            consultation_value_minor=row.consultation_value_minor,
            expected_contract_value_minor=row.expected_contract_value_minor,
            onsite_contract_minor=row.onsite_contract_minor,
            mou_minor=row.mou_minor,
            interest_level=InterestLevel(row.interest_level),
            samples=row.samples,
            next_steps=row.next_steps,
            notes=row.notes,
        )

    def plain(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass
class Row:
    """One line of the file: its cells by field, what they say, and what is wrong."""

    line: int  # the row's number in the sheet (the heading is line 1)
    cells: dict[str, Cell]
    key: str = ""
    problems: list[Problem] = field(default_factory=list)
    company_id: int | None = None
    buyer_id: int | None = None
    interpreter_id: int | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None  # None: the slot's or the meeting's own length
    status: MeetingStatus | None = None  # None: blank
    outcome: dict[str, Any] | None = None  # the outcome cells read, when any is filled
    currency: str = ""
    reason: str = ""
    action: str = ""  # create, update, unchanged (of the meeting)
    outcome_action: str = ""  # version, unchanged, "" (no outcome on the row)

    texts: dict[str, str] = field(default_factory=dict)  # each cell as text, read once

    def __post_init__(self) -> None:
        self.texts = {name: text(cell) for name, cell in self.cells.items()}

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self, name: str) -> str:
        return self.texts.get(name, "")

    def inherit(self, name: str, other: Row) -> None:
        self.cells[name], self.texts[name] = other.cells[name], other.texts[name]

    def problem(self, field_name: str, code: str, /, **params: Any) -> None:
        self.problems.append(Problem(field_name, code, params))


@dataclass(frozen=True)
class NewVersion:
    line: int
    values: OutcomeValues
    conversion: Conversion
    reason: str


@dataclass
class MeetingChange:
    """What confirming does to one meeting: its fields, key and new outcome versions."""

    key: str
    lines: list[int]
    meeting_id: int | None  # None: created
    fields: dict[str, Any]  # company_id, buyer_id, interpreter_id, starts_at, ends_at, status
    before: dict[str, Any]  # the fields that change, as they were (update)
    register_key: bool
    current_version: int | None
    current_values: OutcomeValues | None
    versions: list[NewVersion]
    is_new: bool = False  # planned as a new meeting (its id is set once written)
    bad: bool = False  # one of its rows has a problem: left out of the counts

    def __post_init__(self) -> None:
        self.is_new = self.is_new or self.meeting_id is None

    @property
    def action(self) -> str:
        if self.is_new:
            return "create"
        return "update" if self.before or self.register_key else "unchanged"


@dataclass
class Plan:
    mission_id: int
    rows: list[Row]
    changes: list[MeetingChange]
    columns: list[str]
    unknown_headings: list[str]

    @property
    def bad(self) -> list[Row]:
        return [row for row in self.rows if not row.ok]

    @property
    def ok(self) -> bool:
        return not self.bad

    def counts(self) -> dict[str, int]:
        """What confirming writes, from the meetings whose rows are all good."""
        good = [change for change in self.changes if not change.bad]
        actions = [change.action for change in good]
        statuses = [change.fields["status"] for change in good]
        return {
            "rows": len(self.rows),
            "bad_rows": len(self.bad),
            "meetings": len(good),
            "meetings_created": actions.count("create"),
            "meetings_updated": actions.count("update"),
            "meetings_unchanged": actions.count("unchanged"),
            "held": statuses.count(MeetingStatus.COMPLETED),
            "no_shows": statuses.count(MeetingStatus.NO_SHOW),
            "outcome_versions": sum(len(change.versions) for change in good),
            "outcomes_changed": sum(1 for change in good if change.versions),
        }

    @property
    def changes_anything(self) -> bool:
        return any(c.action != "unchanged" or c.versions for c in self.changes)

    def digest(self) -> str:
        """A fingerprint of what confirming would write, given the records it was planned on:
        confirming a preview whose records changed meanwhile is refused (409)."""
        plain = [
            [
                change.key,
                change.meeting_id,
                {k: _plain(v) for k, v in sorted(change.fields.items())},
                sorted(change.before),
                change.register_key,
                change.current_version,
                [_plain(version.values.plain()) | {"r": version.reason} for version in
                 change.versions],
            ]
            for change in self.changes
        ]
        encoded = json.dumps(plain, sort_keys=True, default=str).encode()
        return hashlib.sha256(encoded).hexdigest()[:32]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value.value if hasattr(value, "value") else value
