"""Match scores computed by hand, with the criteria that explain them."""

from __future__ import annotations

import pytest

from app.matching.scoring import (
    BuyerProfile,
    BuyerWants,
    CompanyProfile,
    CompanyWants,
    Side,
    Weights,
    interpretation_pair,
    product_matches,
    rank_buyers,
    rank_companies,
    score_match,
)

SAIGON = BuyerProfile(
    id="saigon",
    country="VN",
    industries=frozenset({"retail"}),
    languages=("vi", "en"),
    wants=BuyerWants(
        industries=frozenset({"Cosmetics ", "food"}),
        products=frozenset({"shower filter", "sheet mask", "ginseng"}),
        origin_countries=frozenset({"KR"}),
        languages=frozenset({"en", "vi"}),
    ),
)
BEAUTY = CompanyProfile(
    id="beauty",
    industries=frozenset({"cosmetics"}),
    products=("Vitamin shower filters", "Hydrogel sheet masks"),
    languages=("ko", "en"),
    wants=CompanyWants(
        buyer_countries=frozenset({"VN", "ID"}), buyer_industries=frozenset({"distribution"})
    ),
)
MOTORS = CompanyProfile(
    id="motors",
    industries=frozenset({"machinery"}),
    products=("BLDC blower motors",),
    languages=("ko",),
    wants=CompanyWants(buyer_countries=frozenset({"KZ"})),
)


def test_good_match_scores_85_and_says_why() -> None:
    # industries 30/30, products 2 of 3 keywords 20/30, origin 10/10, language (en) 10/10,
    # buyer country 15/15, buyer industry (distribution, buyer is retail) 0/5: 85 of 100.
    match = score_match(SAIGON, BEAUTY)
    assert match.score == 85.0
    by_name = {c.name: c for c in match.criteria}
    assert by_name["industries"].matched == ("cosmetics",)
    assert by_name["products"].matched == ("sheet mask", "shower filter")
    assert by_name["products"].earned == 20
    assert by_name["language"].matched == ("en",)
    assert by_name["buyer_country"].side is Side.COMPANY and by_name["buyer_country"].met
    assert not by_name["buyer_industry"].met
    assert match.interpretation is None
    assert match.skipped == ()
    assert "products: sheet mask, shower filter (20/30)" in match.explain()


def test_poor_match_leaves_out_criteria_nobody_asked_for() -> None:
    # Only the origin (10) is met; the company names no buyer industry, so 95 are at stake.
    match = score_match(SAIGON, MOTORS)
    assert match.score == round(100 * 10 / 95, 1) == 10.5
    assert match.skipped == ("buyer_industry",)
    assert match.interpretation == ("ko", "vi")
    assert "needs interpretation ko-vi" in match.explain()


def test_no_wishes_at_all_scores_zero() -> None:
    match = score_match(BuyerProfile("b", "JP"), CompanyProfile("c"))
    assert match.score == 0.0
    assert match.criteria == ()
    assert len(match.skipped) == 6


def test_weights_change_the_score() -> None:
    only_products = Weights(
        industries=0, products=1, origin=0, language=0, buyer_country=0, buyer_industry=0
    )
    assert score_match(SAIGON, BEAUTY, only_products).score == pytest.approx(66.7)


def test_rankings_both_ways() -> None:
    assert [m.company_id for m in rank_companies(SAIGON, [MOTORS, BEAUTY])] == ["beauty", "motors"]
    assert [m.company_id for m in rank_companies(SAIGON, [MOTORS, BEAUTY], min_score=50)] == [
        "beauty"
    ]
    almaty = BuyerProfile(
        "almaty", "KZ", languages=("ru",), wants=BuyerWants(industries=frozenset({"machinery"}))
    )
    ranked = rank_buyers(MOTORS, [SAIGON, almaty])
    assert [m.buyer_id for m in ranked] == ["almaty", "saigon"]
    assert ranked[0].score == 100.0
    assert rank_buyers(MOTORS, [SAIGON, almaty], limit=1)[0].buyer_id == "almaty"


def test_product_keywords_match_whole_words_and_plurals() -> None:
    products = ["Electric nail-care devices", "Theatre seating", "Natural colourants"]
    assert product_matches(["nail care device", "seat", "colourant"], products) == (
        "colourant",
        "nail care device",
    )
    assert product_matches(["accessory"], ["Phone accessories"]) == ("accessory",)
    assert product_matches([""], products) == ()


def test_interpretation_pair() -> None:
    assert interpretation_pair(("ko", "en"), ("vi", "en")) is None
    assert interpretation_pair(("ko",), ("id", "en")) == ("ko", "id")
    assert interpretation_pair((), ("id",)) is None
