"""Whether an interpreter may be put on a meeting: booth partner, languages, availability.

Double booking is not here: it is one of the clashes `service.find_clashes` finds for every
resource. These rules involve no other meeting, so a refusal is a 422 naming the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.meetings.exceptions import MeetingInvalid
from app.missions.models import Mission
from app.participants.languages import Spoken, buyer_spoken, company_spoken, needed_pair
from app.participants.languages import bridges as _bridges
from app.participants.models import Buyer, Company, Interpreter
from app.scheduling.models import PartyKind, PartyPlan


def check_partner(interpreter_id: int | None, partner_interpreter_id: int | None) -> None:
    """A booth partner works with an interpreter and is someone else."""
    if partner_interpreter_id is None:
        return
    if interpreter_id is None:
        raise MeetingInvalid(
            "a booth partner needs an interpreter: set interpreter_id too",
            field="partner_interpreter_id",
        )
    if partner_interpreter_id == interpreter_id:
        raise MeetingInvalid(
            f"interpreter {interpreter_id} cannot be their own booth partner",
            field="partner_interpreter_id",
        )


def _split(pair: str) -> tuple[str, str]:
    first, _, second = pair.partition("-")
    return first, second


def bridges(pair: str, company_languages: Iterable[str], buyer_languages: Iterable[str]) -> bool:
    """Whether `pair` ("ko-id", either way round) links a company language to a buyer one."""
    return _bridges(pair, tuple(company_languages), tuple(buyer_languages))


def _sides(company: Company, buyer: Buyer, spoken: tuple[Spoken, Spoken]) -> str:
    company_side, buyer_side = spoken
    derived = f" (from its country, {buyer.country})" if buyer_side.derived else ""
    return (
        f"company {company.id} speaks {', '.join(company_side.languages)}; "
        f"buyer {buyer.id} speaks {', '.join(buyer_side.languages)}{derived}"
    )


def check_languages(
    interpreter: Interpreter, *, field: str, company: Company, buyer: Buyer, pair: str
) -> None:
    """The interpreter covers the meeting's pair, and the pair links the two sides.

    With the pair left blank, one of the interpreter's pairs must link them. A buyer whose
    languages are not on record speaks its country's (app/participants/languages.py); a
    side whose languages are unknown even so cannot be checked: the rule then asks only
    that the interpreter cover the meeting's pair, if one is given.
    """
    covered = ", ".join(interpreter.language_pairs) or "nothing"
    if pair:
        first, second = _split(pair)
        if not {f"{first}-{second}", f"{second}-{first}"} & set(interpreter.language_pairs):
            raise MeetingInvalid(
                f"interpreter {interpreter.id} does not cover {pair} (covers {covered})",
                field="language_pair" if field == "interpreter_id" else field,
            )
    spoken = (company_spoken(company), buyer_spoken(buyer))
    if not spoken[0].known or not spoken[1].known:
        return
    company_languages, buyer_languages = spoken[0].languages, spoken[1].languages
    if set(company_languages) & set(buyer_languages):
        return  # they share a language: the interpreter helps, nothing to bridge
    sides = _sides(company, buyer, spoken)
    if pair and not bridges(pair, company_languages, buyer_languages):
        raise MeetingInvalid(f"{pair} does not link the two sides ({sides})", field="language_pair")
    if not any(bridges(p, company_languages, buyer_languages) for p in interpreter.language_pairs):
        raise MeetingInvalid(
            f"interpreter {interpreter.id} covers {covered}: no pair links the two sides ({sides})",
            field=field,
        )


def check_interpreted(
    *, company: Company, buyer: Buyer, interpreter_id: int | None, pair: str
) -> None:
    """Two sides that share no language meet only with an interpreter (422 otherwise)."""
    if interpreter_id is not None:
        return
    spoken = (company_spoken(company), buyer_spoken(buyer))
    needed = needed_pair(*spoken, pair)
    if needed:
        raise MeetingInvalid(
            f"{_sides(company, buyer, spoken)}: they share no language, so the meeting needs "
            f"an interpreter covering {needed}; set interpreter_id",
            field="interpreter_id",
            language_pair=needed,
        )


def _windows(raw: Sequence[Sequence[str]]) -> list[tuple[datetime, datetime]]:
    """Availability windows, sorted, with touching or overlapping ones merged."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(
        (datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in raw
    ):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


async def unavailable(
    session: AsyncSession,
    *,
    mission: Mission,
    interpreter_ids: Iterable[int],
    starts_at: datetime,
    ends_at: datetime,
) -> dict[int, str]:
    """Why each interpreter is not available for the whole slot, for those who are not.

    Availability is the interpreter's scheduling plan; without one (or with
    `availability` unset) an interpreter is taken to be available at any time.
    """
    wanted = list(interpreter_ids)
    if not wanted:
        return {}
    plans = await session.scalars(
        select(PartyPlan).where(
            PartyPlan.mission_id == mission.id,
            PartyPlan.party_kind == PartyKind.INTERPRETER,
            PartyPlan.party_id.in_(wanted),
        )
    )
    problems: dict[int, str] = {}
    for plan in plans:
        if plan.availability is None:
            continue
        windows = _windows(plan.availability)
        if any(start <= starts_at and ends_at <= end for start, end in windows):
            continue
        shown = ", ".join(f"{a.isoformat()} to {b.isoformat()}" for a, b in windows) or "never"
        problems[plan.party_id] = (
            f"interpreter {plan.party_id} is not available from {starts_at.isoformat()} to "
            f"{ends_at.isoformat()} (available: {shown})"
        )
    return problems


async def check_available(
    session: AsyncSession,
    *,
    mission: Mission,
    interpreters: Sequence[tuple[str, Interpreter]],
    starts_at: datetime,
    ends_at: datetime,
) -> None:
    """Each interpreter is available for the whole slot (see `unavailable`), else 422."""
    problems = await unavailable(
        session,
        mission=mission,
        interpreter_ids=[interpreter.id for _, interpreter in interpreters],
        starts_at=starts_at,
        ends_at=ends_at,
    )
    for field, interpreter in interpreters:
        if interpreter.id in problems:
            raise MeetingInvalid(problems[interpreter.id], field=field)
