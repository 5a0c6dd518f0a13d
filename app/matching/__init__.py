"""Matching: explainable scores between overseas buyers and domestic companies."""

from app.matching.scoring import (
    DEFAULT_WEIGHTS,
    BuyerProfile,
    BuyerWants,
    CompanyProfile,
    CompanyWants,
    CriterionResult,
    MatchScore,
    Side,
    Weights,
    interpretation_pair,
    rank_buyers,
    rank_companies,
    score_match,
)

__all__ = [
    "DEFAULT_WEIGHTS",
    "BuyerProfile",
    "BuyerWants",
    "CompanyProfile",
    "CompanyWants",
    "CriterionResult",
    "MatchScore",
    "Side",
    "Weights",
    "interpretation_pair",
    "rank_buyers",
    "rank_companies",
    "score_match",
]
