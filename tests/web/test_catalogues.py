"""Message catalogues: every key the pages use exists in ko and en, placeholders agree."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from babel import Locale

from app.i18n import CATALOGUE_DIR, LANGUAGES, Translator, negotiate, plural_base

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


def _messages(lang: str) -> set[str]:
    """A catalogue's messages, its plural forms ("x.one", "x.few") left out."""
    catalogue = _catalogue(lang)
    return {key for key in catalogue if plural_base(key, catalogue) is None}


def test_korean_and_english_have_the_same_keys() -> None:
    assert _messages("ko") == _messages("en")


@pytest.mark.parametrize("lang", sorted(set(LANGUAGES) - {"ko", "en"}))
def test_every_language_a_page_offers_has_every_message(lang: str) -> None:
    """Every page offers every language of LANGUAGES in its switcher: each must have every
    message of the Korean and English catalogues, and the plural forms its grammar needs
    for each message English gives a plural form (Russian: one, few, many)."""
    reference = _messages("ko") | _messages("en")
    catalogue = _catalogue(lang)
    assert sorted(reference - set(catalogue)) == []
    english = _catalogue("en")
    counted = {plural_base(key, english) for key in english} - {None}
    needed = set(Locale.parse(lang).plural_form.rules) - {"other"}
    missing = [f"{base}.{form}" for base in sorted(counted, key=str) for form in sorted(needed)
               if f"{base}.{form}" not in catalogue]
    assert missing == []


def test_a_missing_message_fails_the_completeness_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above sees a message a language lacks (it reads the files each time)."""
    real = _catalogue("vi")
    dropped = dict(real)
    dropped.pop("devices.speaker.help")
    monkeypatch.setitem(globals(), "_catalogue", lambda lang: dropped if lang == "vi" else (
        json.loads((CATALOGUE_DIR / f"{lang}.json").read_text("utf-8"))
    ))
    with pytest.raises(AssertionError):
        test_every_language_a_page_offers_has_every_message("vi")


# Messages a language may write exactly as English does (names, codes, formats).
SAME_AS_ENGLISH: dict[str, set[str]] = {
    "ru": {"app.name"},
    "vi": {"app.name", "devices.camera", "devices.camera_n", "selftest.check.camera"},
    "id": {"app.name", "devices.speaker", "devices.speaker_n", "interp.mode", "mission.status",
           "requests.state", "selftest.check.speaker", "users.role.admin", "users.state"},
}
LETTERS = re.compile(r"[A-Za-z]{3,}")


@pytest.mark.parametrize("lang", sorted(SAME_AS_ENGLISH))
def test_translations_are_not_english_copies(lang: str) -> None:
    english = _catalogue("en")
    catalogue = _catalogue(lang)
    copied = sorted(
        key for key, text in catalogue.items()
        if text == english.get(key) and LETTERS.search(PLACEHOLDER.sub("", text))
        and key not in SAME_AS_ENGLISH[lang]
    )
    assert copied == []


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_placeholders_agree_with_english(lang: str) -> None:
    english = _catalogue("en")
    for key, text in _catalogue(lang).items():
        base = plural_base(key, english) or (key if key in english else None)
        assert base is not None, key
        assert set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(english[base])), key
        if key in english and plural_base(key, english) is None:
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(english[key])), key


def test_plural_forms() -> None:
    assert Translator("en")("import.preview.bad", count=1) == "1 row with problems (not saved)"
    assert Translator("en")("import.preview.bad", count=2) == "2 rows with problems (not saved)"
    assert Translator("ru")("import.preview.bad", count=1) != Translator("ru")(
        "import.preview.bad", count=5
    )
    # No English plural form leaks into a language without one.
    assert Translator("ko")("import.preview.bad", count=1) == Translator("ko")(
        "import.preview.bad", count=2
    ).replace("2", "1")


def test_seed_languages_speak_their_own_language() -> None:
    t = Translator("vi")
    assert t("call.leave") == "Rời đi"
    assert t("devices.speaker.help") != Translator("en")("devices.speaker.help")


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
