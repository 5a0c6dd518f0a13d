"""Console forms: reading typed values the way a clerk writes them, and saying what is wrong.

Every problem names the field (its label, in the page's language) and what the field
accepts (`form.accepts.*` in the catalogues), so "This value is not accepted." never
appears alone. Country and language fields take codes or names in any language the
console offers ("VN", "Vietnam", "베트남"; "vi", "Vietnamese", "베트남어"), as the import does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.core import get_global
from pydantic import ValidationError

from app.i18n import LANGUAGES
from app.schemas import country_codes, language_codes, time_zone_names

_SPLIT = re.compile(r"[;,/\n|]+")


@dataclass(frozen=True)
class Field:
    """A form field: its label's catalogue key and what it accepts (key and parameters)."""

    label: str
    accepts: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    field: str
    label: str
    accepts: str
    params: Mapping[str, Any] = field(default_factory=dict)


Problems = dict[str, Problem]


def problem(name: str, spec: Field, accepts: str | None = None, **params: Any) -> Problem:
    return Problem(name, spec.label, accepts or spec.accepts, {**spec.params, **params})


def problems_of(exc: ValidationError, fields: Mapping[str, Field]) -> Problems:
    """One problem per field the validator refused (the first error of each)."""
    found: Problems = {}
    for error in exc.errors(include_url=False, include_input=False):
        name = str(error["loc"][0]) if error["loc"] else ""
        spec = fields.get(name)
        if spec is None or name in found:
            continue
        found[name] = problem(name, spec)
    if not found and exc.errors():  # a rule across fields, e.g. dates in order
        name, spec = next(iter(fields.items()))
        found[name] = problem(name, spec)
    return found


def text_list(raw: str) -> list[str]:
    return [item.strip() for item in _SPLIT.split(raw or "") if item.strip()]


@cache
def _country_names() -> dict[str, str]:
    names: dict[str, str] = {}
    codes = country_codes()
    for lang in LANGUAGES:
        for territory, name in Locale.parse(lang).territories.items():
            if territory in codes:
                names.setdefault(str(name).casefold(), str(territory))
    return names


def country_code(raw: str) -> str | None:
    """An ISO code from a code or a country's name in a console language; None if neither."""
    value = raw.strip()
    if value.upper() in country_codes():
        return value.upper()
    return _country_names().get(value.casefold())


@cache
def _language_names() -> dict[str, str]:
    names: dict[str, str] = {}
    codes = language_codes()
    for lang in LANGUAGES:
        for code, name in Locale.parse(lang).languages.items():
            if code in codes:
                names.setdefault(str(name).casefold(), str(code))
    return names


def language_code(raw: str) -> str | None:
    value = raw.strip()
    if value.lower() in language_codes():
        return value.lower()
    return _language_names().get(value.casefold())


def language_list(raw: str) -> list[str] | None:
    """Codes from "ko, vi" or "Korean, Vietnamese"; None if any item is neither."""
    found: list[str] = []
    for item in text_list(raw):
        code = language_code(item)
        if code is None:
            return None
        if code not in found:
            found.append(code)
    return found


def language_pairs(raw: str) -> list[str] | None:
    """Pairs from "ko-vi, ko-en" (codes or names either side); None if any is not a pair."""
    found: list[str] = []
    for item in text_list(raw):
        sides = [part for part in re.split(r"\s*(?:-|–|↔|<->|<>)\s*", item) if part]
        codes = [language_code(side) for side in sides]
        if len(codes) != 2 or None in codes or codes[0] == codes[1]:
            return None
        pair = f"{codes[0]}-{codes[1]}"
        if pair not in found:
            found.append(pair)
    return found


def country_zones(country: str) -> list[str]:
    zones: list[str] = get_global("territory_zones").get(country.upper(), [])
    return [zone for zone in zones if zone in time_zone_names()]


def time_zone(raw: str) -> str | None:
    value = raw.strip()
    return value if value in time_zone_names() else None


def zone_for(country: str | None, raw: str) -> tuple[str | None, list[str]]:
    """The zone typed, or the country's only zone when none is; with the country's zones
    (to list in the problem when it has several)."""
    zones = country_zones(country) if country else []
    if raw.strip():
        return time_zone(raw), zones
    return (zones[0] if len(zones) == 1 else None), zones


def clock_time(raw: str) -> time | None:
    value = raw.strip()
    for pattern in ("%H:%M", "%H:%M:%S", "%H.%M", "%H%M"):
        try:
            return datetime.strptime(value, pattern).time()
        except ValueError:
            continue
    return None


def day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        return None


def windows(
    lines: Iterable[tuple[str, str, str]], tz: str
) -> list[tuple[datetime, datetime]] | None:
    """Availability rows (day, from, to) in the party's own zone, as aware datetimes; None
    if a row is not a day with two times in order (blank rows are skipped)."""
    zone = ZoneInfo(tz)
    found: list[tuple[datetime, datetime]] = []
    for raw_day, raw_from, raw_to in lines:
        if not (raw_day.strip() or raw_from.strip() or raw_to.strip()):
            continue
        which, start, end = day(raw_day), clock_time(raw_from), clock_time(raw_to)
        if which is None or start is None or end is None or end <= start:
            return None
        found.append(
            (datetime.combine(which, start, tzinfo=zone), datetime.combine(which, end, tzinfo=zone))
        )
    return found
