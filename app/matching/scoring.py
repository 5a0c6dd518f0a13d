"""Explainable match score between what a buyer seeks and what a company offers, both ways."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field


class Side(enum.StrEnum):
    BUYER = "buyer"  # what the buyer wants, met by the company
    COMPANY = "company"  # what the company wants, met by the buyer


@dataclass(frozen=True)
class BuyerWants:
    industries: frozenset[str] = frozenset()
    products: frozenset[str] = frozenset()  # keywords: "shower filter", "natural colourant"
    origin_countries: frozenset[str] = frozenset()  # ISO 3166 alpha-2 of the maker
    languages: frozenset[str] = frozenset()  # languages it can hold a meeting in


@dataclass(frozen=True)
class BuyerProfile:
    id: int | str
    country: str  # ISO 3166 alpha-2
    industries: frozenset[str] = frozenset()
    languages: tuple[str, ...] = ()  # most preferred first
    wants: BuyerWants = field(default_factory=BuyerWants)


@dataclass(frozen=True)
class CompanyWants:
    buyer_countries: frozenset[str] = frozenset()
    buyer_industries: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CompanyProfile:
    id: int | str
    origin_country: str = "KR"
    industries: frozenset[str] = frozenset()
    products: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("ko",)  # most preferred first
    wants: CompanyWants = field(default_factory=CompanyWants)


@dataclass(frozen=True)
class Weights:
    """Points per criterion; a criterion the wanting side left empty is left out of the
    total, so a buyer who names no origin is not penalised for it."""

    industries: float = 30
    products: float = 30
    origin: float = 10
    language: float = 10
    buyer_country: float = 15
    buyer_industry: float = 5


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class CriterionResult:
    name: str  # "industries", "products", "origin", "language", "buyer_country", ...
    side: Side
    weight: float
    earned: float
    wanted: tuple[str, ...]
    matched: tuple[str, ...]

    @property
    def met(self) -> bool:
        return self.earned > 0


@dataclass(frozen=True)
class MatchScore:
    buyer_id: int | str
    company_id: int | str
    score: float  # 0..100
    criteria: tuple[CriterionResult, ...]  # the ones that counted
    skipped: tuple[str, ...]  # criteria nobody stated a wish for
    interpretation: tuple[str, str] | None  # (company language, buyer language) if needed

    def explain(self) -> list[str]:
        lines = []
        for c in self.criteria:
            points = f"({round(c.earned, 1):g}/{c.weight:g})"
            if c.matched:
                lines.append(f"{c.name}: {', '.join(c.matched)} {points}")
            else:
                lines.append(f"{c.name}: none of {', '.join(c.wanted)} {points}")
        if self.interpretation is not None:
            lines.append("needs interpretation " + "-".join(self.interpretation))
        return lines


def normalise(term: str) -> str:
    return " ".join(term.casefold().split())


def _tokens(term: str) -> frozenset[str]:
    return frozenset(_singular(word) for word in re.findall(r"[\w]+", term.casefold()))


def _singular(word: str) -> str:
    # Enough for product keywords ("filters", "accessories"); both sides go through it.
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _overlap(wanted: Iterable[str], offered: Iterable[str]) -> tuple[str, ...]:
    have = {normalise(term) for term in offered}
    return tuple(sorted(term for term in {normalise(w) for w in wanted} if term in have))


def product_matches(wanted: Iterable[str], products: Iterable[str]) -> tuple[str, ...]:
    """Wanted keywords found in some product: every word of the keyword appears in it."""
    product_tokens = [_tokens(product) for product in products]
    found = []
    for keyword in sorted({normalise(w) for w in wanted}):
        words = _tokens(keyword)
        if words and any(words <= tokens for tokens in product_tokens):
            found.append(keyword)
    return tuple(found)


def interpretation_pair(
    company_languages: Iterable[str], buyer_languages: Iterable[str]
) -> tuple[str, str] | None:
    """None when both share a language; otherwise each side's first language."""
    company = [normalise(x) for x in company_languages]
    buyer = [normalise(x) for x in buyer_languages]
    if not company or not buyer or set(company) & set(buyer):
        return None
    return company[0], buyer[0]


def score_match(
    buyer: BuyerProfile, company: CompanyProfile, weights: Weights = DEFAULT_WEIGHTS
) -> MatchScore:
    """Score 0..100: points earned over points at stake, with every criterion shown."""
    results: list[CriterionResult] = []
    skipped: list[str] = []

    def criterion(
        name: str,
        side: Side,
        weight: float,
        wanted: Iterable[str],
        matched: tuple[str, ...],
        earned_share: float,
    ) -> None:
        wanted_terms = tuple(sorted({normalise(w) for w in wanted}))
        if not wanted_terms or weight <= 0:
            skipped.append(name)
            return
        earned = weight * earned_share
        results.append(CriterionResult(name, side, weight, earned, wanted_terms, matched))

    wants = buyer.wants
    industries = _overlap(wants.industries, company.industries)
    criterion(
        "industries",
        Side.BUYER,
        weights.industries,
        wants.industries,
        industries,
        1.0 if industries else 0.0,
    )
    products = product_matches(wants.products, company.products)
    # Three matched keywords (or all, if fewer were asked for) earn the full points.
    wanted_products = {normalise(p) for p in wants.products}
    share = min(1.0, len(products) / min(3, len(wanted_products))) if wanted_products else 0.0
    criterion("products", Side.BUYER, weights.products, wants.products, products, share)
    origin = _overlap(wants.origin_countries, [company.origin_country])
    criterion(
        "origin", Side.BUYER, weights.origin, wants.origin_countries, origin, 1.0 if origin else 0.0
    )
    spoken = _overlap(wants.languages, company.languages)
    criterion(
        "language", Side.BUYER, weights.language, wants.languages, spoken, 1.0 if spoken else 0.0
    )
    country = _overlap(company.wants.buyer_countries, [buyer.country])
    criterion(
        "buyer_country",
        Side.COMPANY,
        weights.buyer_country,
        company.wants.buyer_countries,
        country,
        1.0 if country else 0.0,
    )
    trade = _overlap(company.wants.buyer_industries, buyer.industries)
    criterion(
        "buyer_industry",
        Side.COMPANY,
        weights.buyer_industry,
        company.wants.buyer_industries,
        trade,
        1.0 if trade else 0.0,
    )

    at_stake = sum(c.weight for c in results)
    earned = sum(c.earned for c in results)
    score = round(100 * earned / at_stake, 1) if at_stake else 0.0
    return MatchScore(
        buyer_id=buyer.id,
        company_id=company.id,
        score=score,
        criteria=tuple(results),
        skipped=tuple(skipped),
        interpretation=interpretation_pair(company.languages, buyer.languages),
    )


def rank_companies(
    buyer: BuyerProfile,
    companies: Iterable[CompanyProfile],
    *,
    min_score: float = 0.0,
    limit: int | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
) -> list[MatchScore]:
    """Best companies for one buyer, highest score first (ties by company id)."""
    scores = [score_match(buyer, c, weights) for c in companies]
    ranked = sorted(
        (s for s in scores if s.score >= min_score and s.score > 0),
        key=lambda s: (-s.score, str(s.company_id)),
    )
    return ranked if limit is None else ranked[:limit]


def rank_buyers(
    company: CompanyProfile,
    buyers: Iterable[BuyerProfile],
    *,
    min_score: float = 0.0,
    limit: int | None = None,
    weights: Weights = DEFAULT_WEIGHTS,
) -> list[MatchScore]:
    """Best buyers for one company, highest score first (ties by buyer id)."""
    scores = [score_match(b, company, weights) for b in buyers]
    ranked = sorted(
        (s for s in scores if s.score >= min_score and s.score > 0),
        key=lambda s: (-s.score, str(s.buyer_id)),
    )
    return ranked if limit is None else ranked[:limit]
