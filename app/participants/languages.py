"""Which languages a party holds a meeting in, and which interpreter pair a meeting needs.

A buyer's languages are often not on record (an import without a languages column): the
buyer is then taken to speak its country's official languages (CLDR), most spoken first,
so a Korea-Vietnam meeting still asks for a ko-vi interpreter instead of none. A party
whose languages are neither recorded nor derivable is "unknown" and nothing is checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from babel.core import get_global

from app.participants.models import Buyer, Company

_OFFICIAL = frozenset({"official", "de_facto_official"})


@cache
def country_languages(country: str) -> tuple[str, ...]:
    """The country's official languages as ISO 639 codes, most spoken first ("KZ": ru, kk)."""
    table: dict[str, dict[str, object]] = get_global("territory_languages").get(
        country.upper(), {}
    )
    ranked = sorted(
        (
            (-float(str(info.get("population_percent", 0))), code.split("_")[0])
            for code, info in table.items()
            if info.get("official_status") in _OFFICIAL
        ),
    )
    found: list[str] = []
    for _, code in ranked:
        if code not in found:
            found.append(code)
    return tuple(found)


@dataclass(frozen=True)
class Spoken:
    """A party's languages for a meeting; `derived` when they come from its country."""

    languages: tuple[str, ...]
    derived: bool = False

    @property
    def known(self) -> bool:
        return bool(self.languages)


def _clean(values: Iterable[str]) -> tuple[str, ...]:
    found: list[str] = []
    for value in values:
        code = value.strip().lower()
        if code and code not in found:
            found.append(code)
    return tuple(found)


def company_spoken(company: Company) -> Spoken:
    return Spoken(_clean(company.languages))


def buyer_spoken(buyer: Buyer) -> Spoken:
    recorded = _clean(buyer.languages)
    if recorded:
        return Spoken(recorded)
    derived = country_languages(buyer.country) if buyer.country else ()
    return Spoken(derived, derived=bool(derived))


def _split(pair: str) -> tuple[str, str]:
    first, _, second = pair.partition("-")
    return first, second


def bridges(pair: str, company: Sequence[str], buyer: Sequence[str]) -> bool:
    """Whether `pair` ("ko-vi", either way round) links a company language to a buyer one."""
    first, second = _split(pair)
    return (first in company and second in buyer) or (second in company and first in buyer)


def needed_pair(company: Spoken, buyer: Spoken, asked: str = "") -> str | None:
    """The pair an interpreter must cover for the meeting, "" when the sides share a
    language, None when a side's languages are unknown (then `asked` is all there is).

    An `asked` pair (the organiser's choice on the request) is kept when it links the two
    sides; otherwise the company's first language with the buyer's first.
    """
    if not company.known or not buyer.known:
        return None
    if set(company.languages) & set(buyer.languages):
        return ""
    if asked and bridges(asked, company.languages, buyer.languages):
        return asked
    return f"{company.languages[0]}-{buyer.languages[0]}"


def meeting_pair(company: Company, buyer: Buyer, asked: str = "") -> str:
    """The pair a meeting of these two needs ("" for none): `needed_pair`, or `asked` when
    a side's languages are unknown."""
    needed = needed_pair(company_spoken(company), buyer_spoken(buyer), asked)
    return asked if needed is None else needed
