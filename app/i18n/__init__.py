"""Message catalogues (JSON, shared by Jinja and the JS modules) and locale-aware formatting."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.dates import format_time as babel_format_time
from babel.dates import get_timezone_location
from babel.numbers import format_currency as babel_format_currency

logger = logging.getLogger(__name__)

CATALOGUE_DIR = Path(__file__).resolve().parent.parent.parent / "static" / "i18n"

# The languages a page can be shown in, named in themselves (the picker shows these).
LANGUAGES: dict[str, str] = {
    "ko": "한국어",
    "en": "English",
    "ru": "Русский",
    "vi": "Tiếng Việt",
    "id": "Bahasa Indonesia",
}
FALLBACK = "en"
COOKIE = "tb_lang"


@cache
def _load(lang: str) -> dict[str, str]:
    path = CATALOGUE_DIR / f"{lang}.json"
    data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return data


PLURAL_FORMS = frozenset({"zero", "one", "two", "few", "many"})


def plural_base(key: str, keys: Mapping[str, str] | set[str]) -> str | None:
    """The message a plural form belongs to ("x.bad" for "x.bad.one"), or None."""
    base, _, form = key.rpartition(".")
    return base if form in PLURAL_FORMS and base in keys else None


def catalogue(lang: str) -> dict[str, str]:
    """Every message for `lang`; keys the language lacks come from English (but not
    English's plural forms: a language has its own, or only the base message)."""
    if lang not in LANGUAGES:
        lang = FALLBACK
    english = _load(FALLBACK)
    if lang == FALLBACK:
        return dict(english)
    shared = {k: v for k, v in english.items() if plural_base(k, english) is None}
    return {**shared, **_load(lang)}


class Translator:
    """`t(key, **params)` for one language; an unknown key shows itself (and is logged)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else FALLBACK
        self.messages = catalogue(self.lang)
        self.locale = Locale.parse(self.lang)

    def plural_key(self, key: str, count: Any) -> str:
        """`key` or its plural form for `count` ("import.preview.bad.one" for 1 in English,
        ".few" for 3 in Russian), when the catalogue has that form."""
        if isinstance(count, int) and not isinstance(count, bool):
            form = f"{key}.{self.locale.plural_form(abs(count))}"
            if form in self.messages:
                return form
        return key

    def __call__(self, key: str, **params: Any) -> str:
        if "count" in params:
            key = self.plural_key(key, params["count"])
        text = self.messages.get(key)
        if text is None:
            logger.warning("no message %r", key)
            return key
        return text.format(**params) if params else text

    # -- formatting ---------------------------------------------------------------------------

    def datetime(self, value: dt.datetime, tz: str, fmt: str = "medium") -> str:
        return str(babel_format_datetime(value, fmt, tzinfo=ZoneInfo(tz), locale=self.locale))

    def time(self, value: dt.datetime, tz: str) -> str:
        return str(babel_format_time(value, "HH:mm", tzinfo=ZoneInfo(tz), locale=self.locale))

    def date(self, value: dt.date | dt.datetime, fmt: str = "long") -> str:
        return str(babel_format_date(value, fmt, locale=self.locale))

    def local_day(self, value: dt.datetime, tz: str) -> dt.date:
        return value.astimezone(ZoneInfo(tz)).date()

    def local_date(self, value: dt.datetime, tz: str, fmt: str = "long") -> str:
        return self.date(self.local_day(value, tz), fmt)

    def money(self, amount: Decimal | None, currency: str) -> str:
        if amount is None:
            return "—"
        return str(babel_format_currency(amount, currency, locale=self.locale))

    def country(self, code: str | None) -> str:
        if not code:
            return ""
        return str(self.locale.territories.get(code.upper(), code))

    def city(self, name: str, korean: str = "") -> str:
        """A city in the page language: in Korean its Korean name (the record's `city_ko`,
        else the one Korean press uses, app/places.py), else the name as typed."""
        if self.lang != "ko" or not name:
            return name
        from app.places import city_ko

        return city_ko(name, korean)

    def language(self, code: str) -> str:
        return str(self.locale.languages.get(code, code))

    def moment(self, value: dt.datetime, tz: str) -> str:
        """A day and an hour in `tz`, without seconds, e.g. 'Jun 10, 2027, 13:30'."""
        return f"{self.local_date(value, tz, 'medium')}, {self.time(value, tz)}"

    def zoned(self, value: dt.datetime, tz: str) -> str:
        """A time with the city its clock belongs to, e.g. '10:00 (Seoul)'."""
        return f"{self.time(value, tz)} ({self.tz_city(tz)})"

    def local_range(self, start: dt.datetime | str, end: dt.datetime | str, tz: str) -> str:
        """A span on one local day, e.g. '10 Mar 2026, 09:00–12:00 (Seoul)'."""
        first = dt.datetime.fromisoformat(start) if isinstance(start, str) else start
        last = dt.datetime.fromisoformat(end) if isinstance(end, str) else end
        day = self.local_date(first, tz, "medium")
        return f"{day}, {self.time(first, tz)}–{self.time(last, tz)} ({self.tz_city(tz)})"

    def languages(self, codes: list[str] | tuple[str, ...]) -> str:
        return ", ".join(self.language(code) for code in codes)

    def tz_city(self, tz: str) -> str:
        """A time zone as its city in the page language, e.g. 'Asia/Seoul' -> '서울'."""
        try:
            return str(get_timezone_location(ZoneInfo(tz), locale=self.locale, return_city=True))
        except (LookupError, ValueError):
            return tz.rsplit("/", 1)[-1].replace("_", " ")


def negotiate(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """The page language: ?lang=, then the cookie, then the browser's preference, else English."""
    for choice in (query, cookie):
        if choice in LANGUAGES:
            return str(choice)
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return FALLBACK


def js_catalogue(lang: str, keys: Mapping[str, str] | None = None) -> str:
    """The catalogue as JSON for a page's <script type="application/json"> (safe in HTML)."""
    data = {"lang": lang, "messages": dict(keys or catalogue(lang))}
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
