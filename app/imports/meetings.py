"""Import of meetings and their outcomes from a spreadsheet: read, check every row, plan.

One row is one meeting (company, buyer, day and time, held or no-show) with, optionally, its
outcome in the report's fields and the row's currency. The plan says what confirming would
do to each meeting (create, update, leave) and to its outcome (new versions, unchanged), or
names every bad row and field; nothing is written here (app/imports/apply.py writes a plan).

Rules (docs/reports.md, "Importing meetings and outcomes"):
- A meeting is found again by its key (the "key" column; without one, company + buyer + start
  time), so importing the same file twice changes nothing.
- Several rows with one key are successive versions of its outcome (corrections), oldest
  first; later rows may leave the meeting's cells blank.
- A blank status means held for a new meeting; an existing meeting keeps its status unless
  the row carries outcome values (then it was held). An outcome needs a held meeting.
- A blank meeting cell leaves what is recorded; a row with outcome values states the whole
  outcome (a blank amount is 0), a column the file lacks keeps the recorded value.
- A new outcome version is written only when a value differs from the current version.

The columns are in columns.py, the records the rows are matched with in context.py, the
reading of each row in rows.py, the plan's shapes in plan.py; this module makes the plan.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.imports.columns import PLATFORM_KEY
from app.imports.context import Context, Held
from app.imports.plan import MeetingChange, NewVersion, OutcomeValues, Plan, Row
from app.imports.rows import check_in_mission, read_rows
from app.imports.tables import Cell
from app.meetings.models import MeetingStatus
from app.missions.models import MissionStatus
from app.money.currencies import to_minor
from app.outcomes.models import InterestLevel

# -- the plan ---------------------------------------------------------------------------------


def _target(first: Row, context: Context, claimed: dict[int, int]) -> int | None:
    """The existing meeting a key names: its own key, a "TB-<id>" of the platform's, or an
    unkeyed meeting with the same company, buyer and start."""
    if (found := context.keys.get(first.key.casefold())) is not None:
        return found
    platform = PLATFORM_KEY.fullmatch(first.key)
    if platform and int(platform[1]) in context.meetings and int(platform[1]) not in context.keyed:
        return int(platform[1])
    if first.company_id and first.buyer_id and first.starts_at:
        slot = (first.company_id, first.buyer_id, first.starts_at)
        for meeting_id in context.unkeyed_slots.get(slot, []):
            if meeting_id not in claimed:
                return meeting_id
    return None


def _same_meeting(first: Row, later: Row) -> list[str]:
    """The meeting cells of a later row of a key that name another meeting than its first."""
    differ = []
    if later.company_id != first.company_id:
        differ.append("company")
    if later.buyer_id != first.buyer_id:
        differ.append("buyer_company" if later.text("buyer_company") else "buyer")
    if later.starts_at != first.starts_at:
        differ.append("start")
    return differ


def _values(row: Row, base: OutcomeValues | None, columns: set[str]) -> OutcomeValues:
    """The version a row states: its cells; what the file has no column for stays as `base`
    says (or the default: 0, none, blank)."""
    outcome = row.outcome or {}
    currency = row.currency

    def minor(name: str, base_value: int | None, default: int | None) -> int | None:
        if name in outcome:
            return to_minor(outcome[name], currency)
        if name in columns or base is None or base.currency != currency:
            return default
        return base_value

    def keep(name: str, base_value: Any, default: Any) -> Any:
        if name in outcome:
            return outcome[name]
        return default if name in columns or base is None else base_value

    return OutcomeValues(
        currency=currency,
        consultation_value_minor=minor(
            "consultation_value", base and base.consultation_value_minor, 0
        ) or 0,
        expected_contract_value_minor=minor(
            "expected_contract_value", base and base.expected_contract_value_minor, 0
        ) or 0,
        onsite_contract_minor=minor(
            "onsite_contract_amount", base and base.onsite_contract_minor, None
        ),
        mou_minor=minor("mou_amount", base and base.mou_minor, None),
        interest_level=keep(
            "interest_level", base and base.interest_level, InterestLevel.NONE
        ),
        samples=keep("samples", base and base.samples, ""),
        next_steps=keep("next_steps", base and base.next_steps, ""),
        notes=keep("notes", base and base.notes, ""),
    )


def _versions(
    outcome_rows: list[Row], current: OutcomeValues | None, columns: set[str]
) -> list[tuple[Row, OutcomeValues]]:
    """The versions to append: the file's rows of the key after the last one that equals the
    current version (all of them if none does and there is no outcome yet; else the last
    one), leaving out any equal to the version before it."""
    stated: list[tuple[Row, OutcomeValues]] = []
    base = current
    for row in outcome_rows:
        values = _values(row, base, columns)
        stated.append((row, values))
        base = values
    if current is not None:
        same = [i for i, (_, values) in enumerate(stated) if values == current]
        stated = stated[same[-1] + 1:] if same else stated[-1:]
    appended: list[tuple[Row, OutcomeValues]] = []
    previous = current
    for row, values in stated:
        if values != previous:
            appended.append((row, values))
            previous = values
    return appended


def build_plan(
    *, cells: list[list[Cell]], context: Context, reason: str = "", now: datetime
) -> Plan:
    """Check every row against the mission and say what confirming would write."""
    rows, groups, columns, unknown = read_rows(cells, context)
    present = set(columns)
    mission = context.mission
    zone = ZoneInfo(mission.timezone)
    changes: list[MeetingChange] = []
    claimed: dict[int, int] = {}  # existing meeting id -> the line that first named it
    group_of: dict[int, list[Row]] = {}  # id(change) -> rows
    for group in groups.values():
        first = group[0]
        for later in group[1:]:
            for name in _same_meeting(first, later):
                later.problem(name, "key_other_meeting", meeting_key=later.key, line=first.line)
        if not all(row.company_id and row.buyer_id and row.starts_at for row in group):
            continue  # the rows already say what is missing
        meeting_id = _target(first, context, claimed)
        if meeting_id is not None and meeting_id in claimed:
            first.problem("key", "meeting_twice", line=claimed[meeting_id])
            continue
        existing = context.meetings.get(meeting_id) if meeting_id is not None else None
        last = group[-1]
        has_outcome = any(row.outcome is not None for row in group)
        status = last.status or (
            MeetingStatus.COMPLETED
            if existing is None or has_outcome
            else existing.status
        )
        assert first.starts_at is not None
        if last.ends_at is not None:
            ends_at = last.ends_at
        elif existing is not None:
            ends_at = first.starts_at + (existing.ends_at - existing.starts_at)
        else:
            ends_at = first.starts_at + timedelta(minutes=mission.slot_minutes)
        fields: dict[str, Any] = {
            "company_id": first.company_id,
            "buyer_id": first.buyer_id,
            "interpreter_id": last.interpreter_id
            if last.interpreter_id is not None or existing is None
            else existing.interpreter_id,
            "starts_at": first.starts_at,
            "ends_at": ends_at,
            "status": status,
        }
        check_in_mission(first, mission, first.starts_at, ends_at)
        marked = existing is None or existing.status is not status
        if status in (MeetingStatus.COMPLETED, MeetingStatus.NO_SHOW) and marked and (
            first.starts_at > now
        ):  # held or no-show is said of a meeting that has started (app/meetings/attendance.py)
            first.problem("status", "not_started", status=status.value,
                          value=first.starts_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"))
        before = {}
        if existing is not None:
            claimed[existing.id] = first.line
            before = {
                name: getattr(existing, name)
                for name, value in fields.items()
                if getattr(existing, name) != value
            }
        # Outcomes: only for a held meeting, each version with the rates of its day.
        outcome_rows = [row for row in group if row.outcome is not None]
        if outcome_rows and status is not MeetingStatus.COMPLETED:
            for row in outcome_rows:
                row.problem("status", "outcome_not_held", status=status.value)
        current_version, current_values = (None, None)
        if meeting_id is not None and meeting_id in context.outcomes:
            current_version, current_values = context.outcomes[meeting_id]
        versions: list[NewVersion] = []
        day = first.starts_at.astimezone(zone).date()
        for row, values in _versions(outcome_rows, current_values, present):
            conversion = context.rates.conversion(values.currency, day)
            if conversion is None:
                row.problem("currency", "rate_missing", currency=values.currency,
                            value=day.isoformat())
                continue
            why = row.reason or reason
            if mission.status is MissionStatus.CLOSED and not why.strip():
                row.problem("reason", "reason_required")
            versions.append(NewVersion(row.line, values, conversion, why))
        change = MeetingChange(
            key=first.key,
            lines=[row.line for row in group],
            meeting_id=meeting_id,
            fields=fields,
            before=before,
            register_key=meeting_id is None or first.key.casefold() not in context.keys,
            current_version=current_version,
            current_values=current_values,
            versions=versions,
        )
        changes.append(change)
        group_of[id(change)] = group
        versioned = {version.line for version in versions}
        for row in group:
            row.action = change.action
            row.outcome_action = (
                "version" if row.line in versioned else "unchanged" if row.outcome else ""
            )
    _clashes(changes, group_of, context)
    for change in changes:
        change.bad = not all(row.ok for row in group_of[id(change)])
    return Plan(mission.id, rows, changes, columns, unknown)


def _clashes(
    changes: Sequence[MeetingChange], group_of: dict[int, list[Row]], context: Context
) -> None:
    """Note on the file's rows every person or booth in two meetings at once, after import:
    the file's meetings as planned and the mission's others as they are (cancelled ones hold
    nothing). Slots are half-open: 10:00-10:30 and 10:30-11:00 do not clash."""
    by_meeting = {change.meeting_id: change for change in changes if change.meeting_id}
    intervals: dict[tuple[str, int], list[tuple[datetime, datetime, MeetingChange | Held]]] = (
        defaultdict(list)
    )
    for held in context.meetings.values():
        if held.id in by_meeting or held.status is MeetingStatus.CANCELLED:
            continue
        for resource in held.resources():
            intervals[resource].append((held.starts_at, held.ends_at, held))
    for change in changes:
        f = change.fields
        if f["status"] is MeetingStatus.CANCELLED:
            continue
        existing = context.meetings.get(change.meeting_id) if change.meeting_id else None
        planned = Held(
            id=change.meeting_id or 0,
            company_id=f["company_id"],
            buyer_id=f["buyer_id"],
            interpreter_id=f["interpreter_id"],
            partner_interpreter_id=existing.partner_interpreter_id if existing else None,
            company_venue_id=existing.company_venue_id if existing else None,
            buyer_venue_id=existing.buyer_venue_id if existing else None,
            starts_at=f["starts_at"],
            ends_at=f["ends_at"],
            status=f["status"],
        )
        for resource in planned.resources():
            intervals[resource].append((f["starts_at"], f["ends_at"], change))
    for (kind, resource_id), spans in intervals.items():
        if len(spans) < 2:
            continue
        spans.sort(key=lambda span: (span[0], span[1]))
        latest_end, holder = spans[0][1], spans[0][2]
        for starts_at, ends_at, who in spans[1:]:
            if starts_at < latest_end:
                _note_clash(who, holder, kind, resource_id, group_of, context)
                _note_clash(holder, who, kind, resource_id, group_of, context)
            if ends_at > latest_end:
                latest_end, holder = ends_at, who


def _note_clash(
    who: MeetingChange | Held,
    other: MeetingChange | Held,
    kind: str,
    resource_id: int,
    group_of: dict[int, list[Row]],
    context: Context,
) -> None:
    if not isinstance(who, MeetingChange):
        return
    first = group_of[id(who)][0]
    if any(p.code.startswith("clash_") for p in first.problems):
        return  # one clash named per row is enough to fix it
    zone = ZoneInfo(context.mission.timezone)
    if isinstance(other, MeetingChange):
        with_what = {"line": group_of[id(other)][0].line}
        starts = other.fields["starts_at"]
    else:
        with_what = {"meeting": other.id}
        starts = other.starts_at
    first.problem(
        "start",
        "clash_line" if "line" in with_what else "clash_meeting",
        resource=kind,
        name=_resource_name(kind, resource_id, context),
        at=starts.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        **with_what,
    )


def _resource_name(kind: str, resource_id: int, context: Context) -> str:
    if kind == "company":
        rows: Iterable[Any] = (c for cs in context.companies.values() for c in cs)
    elif kind == "buyer":
        rows = context.buyers
    elif kind == "interpreter":
        rows = (i for found in context.interpreters.values() for i in found)
    else:
        return f"#{resource_id}"
    for row in rows:
        if row.id == resource_id:
            return str(getattr(row, "company_name", None) or row.name)
    return f"#{resource_id}"
