"""Message catalogues: every key the pages use exists in ko and en, placeholders agree."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from app.i18n import CATALOGUE_DIR, LANGUAGES, Translator, negotiate

ROOT = Path(__file__).resolve().parents[2]
KEY_IN_SOURCE = re.compile(r"""\bt\(\s*["'`]([a-z_]+(?:\.[a-z_0-9]+)+)["'`]\s*[,)]""")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _catalogue(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((CATALOGUE_DIR / f"{lang}.json").read_text("utf-8"))
    return data


def _used_keys() -> set[str]:
    sources = [*(ROOT / "app" / "templates").glob("*.html"), *(ROOT / "static" / "js").glob("*.js")]
    return {key for path in sources for key in KEY_IN_SOURCE.findall(path.read_text("utf-8"))}


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_every_used_key_is_translated(lang: str) -> None:
    used = _used_keys()
    assert len(used) > 150
    assert sorted(used - set(_catalogue(lang))) == []


def test_korean_and_english_have_the_same_keys() -> None:
    assert set(_catalogue("ko")) == set(_catalogue("en"))


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_placeholders_agree_with_english(lang: str) -> None:
    english = _catalogue("en")
    for key, text in _catalogue(lang).items():
        assert key in english, key
        assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(english[key])), key


def test_seed_languages_fall_back_to_english() -> None:
    t = Translator("vi")
    assert t("call.leave") == "Rời đi"
    assert t("schedule.title") == "Schedule"


def test_language_choice() -> None:
    assert negotiate("ru", "ko", "en") == "ru"
    assert negotiate(None, "ko", "en-GB,en") == "ko"
    assert negotiate(None, None, "id-ID,id;q=0.9,en;q=0.8") == "id"
    assert negotiate("xx", None, "fr-FR") == "en"


def test_locale_formatting() -> None:
    from datetime import UTC, datetime
    from decimal import Decimal

    moment = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)
    assert Translator("ko").time(moment, "Asia/Seoul") == "10:00"
    assert Translator("en").time(moment, "Asia/Jakarta") == "08:00"
    assert Translator("en").money(Decimal("32340000"), "USD") == "$32,340,000.00"
    assert Translator("ko").money(Decimal("1500000"), "KRW") == "₩1,500,000"
    assert Translator("ko").country("ID") == "인도네시아"
