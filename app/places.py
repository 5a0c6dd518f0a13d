"""Place names in Korean: countries from Babel (CLDR), cities as the Korean press writes them.

A city's Korean name comes, in order, from the record (a buyer's or venue's `city_ko`), from
the table below (the spellings district offices publish: 알마티, 모스크바, 호치민), from CLDR's
time-zone cities (타슈켄트, 쿠알라룸푸르...), and otherwise stays the Latin name as typed.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale
from babel.dates import get_timezone_location

# Cities of the markets in domain.md, as Korean press releases spell them. Keys are folded
# (`_fold`): lower case, no accents, no "city" suffix.
KOREAN_CITIES: dict[str, str] = {
    "almaty": "알마티",
    "astana": "아스타나",
    "nur-sultan": "아스타나",
    "shymkent": "심켄트",
    "tashkent": "타슈켄트",
    "bishkek": "비슈케크",
    "moscow": "모스크바",
    "saint petersburg": "상트페테르부르크",
    "st. petersburg": "상트페테르부르크",
    "st petersburg": "상트페테르부르크",
    "vladivostok": "블라디보스토크",
    "novosibirsk": "노보시비르스크",
    "yekaterinburg": "예카테린부르크",
    "kazan": "카잔",
    "ulaanbaatar": "울란바토르",
    "jakarta": "자카르타",
    "surabaya": "수라바야",
    "bandung": "반둥",
    "medan": "메단",
    "semarang": "스마랑",
    "bali": "발리",
    "ho chi minh": "호치민",
    "hochiminh": "호치민",
    "hcmc": "호치민",
    "saigon": "호치민",
    "tp. ho chi minh": "호치민",
    "hanoi": "하노이",
    "ha noi": "하노이",
    "da nang": "다낭",
    "danang": "다낭",
    "hai phong": "하이퐁",
    "haiphong": "하이퐁",
    "kuala lumpur": "쿠알라룸푸르",
    "penang": "페낭",
    "johor bahru": "조호르바루",
    "bangkok": "방콕",
    "chiang mai": "치앙마이",
    "manila": "마닐라",
    "singapore": "싱가포르",
    "phnom penh": "프놈펜",
    "yangon": "양곤",
    "vientiane": "비엔티안",
    "dhaka": "다카",
    "hong kong": "홍콩",
    "taipei": "타이베이",
    "kaohsiung": "가오슝",
    "taichung": "타이중",
    "tokyo": "도쿄",
    "osaka": "오사카",
    "fukuoka": "후쿠오카",
    "nagoya": "나고야",
    "beijing": "베이징",
    "shanghai": "상하이",
    "guangzhou": "광저우",
    "shenzhen": "선전",
    "new delhi": "뉴델리",
    "delhi": "델리",
    "mumbai": "뭄바이",
    "bengaluru": "벵갈루루",
    "bangalore": "벵갈루루",
    "chennai": "첸나이",
    "sydney": "시드니",
    "melbourne": "멜버른",
    "brisbane": "브리즈번",
    "auckland": "오클랜드",
    "dubai": "두바이",
    "abu dhabi": "아부다비",
    "riyadh": "리야드",
    "istanbul": "이스탄불",
    "los angeles": "로스앤젤레스",
    "new york": "뉴욕",
    "mexico city": "멕시코시티",
    "sao paulo": "상파울루",
    "london": "런던",
    "paris": "파리",
    "frankfurt": "프랑크푸르트",
}

_KO = Locale("ko")
_EN = Locale("en")


def _fold(name: str) -> str:
    text = unicodedata.normalize("NFKD", name.strip().casefold())
    text = "".join(c for c in text if not unicodedata.combining(c)).replace("đ", "d")
    text = " ".join(text.split())
    for suffix in (" city", " shi", " si"):
        if text.endswith(suffix) and len(text) > len(suffix) + 2:
            text = text[: -len(suffix)]
    return text


@cache
def _cldr_cities() -> dict[str, str]:
    """Folded English exemplar city of each time zone -> its Korean name (CLDR)."""
    names: dict[str, str] = {}
    for zone in sorted(available_timezones()):
        if "/" not in zone or zone.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/")):
            continue
        try:
            english = get_timezone_location(ZoneInfo(zone), locale=_EN, return_city=True)
            korean = get_timezone_location(ZoneInfo(zone), locale=_KO, return_city=True)
        except (LookupError, ValueError):
            continue
        if english and korean and english != korean:
            names.setdefault(_fold(str(english)), str(korean))
    return names


def known_city_ko(city: str) -> str | None:
    """The Korean name of `city` from the built-in table or CLDR, or None."""
    folded = _fold(city)
    if not folded:
        return None
    return KOREAN_CITIES.get(folded) or _cldr_cities().get(folded)


def city_ko(city: str, override: str = "") -> str:
    """The name a Korean text uses: the record's own, then a known one, else `city`."""
    return override.strip() or known_city_ko(city) or city


def country_name(code: str, lang: str = "en") -> str:
    """A country's name from its ISO code in `lang` (Babel), or the code itself."""
    locale = _KO if lang == "ko" else _EN if lang == "en" else Locale.parse(lang)
    return str(locale.territories.get(code.upper(), code)) if code else ""


def city_label(city: str, country: str, lang: str, override_ko: str = "") -> str:
    """A city with its country: 'Almaty, Kazakhstan'; in Korean '카자흐스탄 알마티'."""
    if lang == "ko":
        return f"{country_name(country, 'ko')} {city_ko(city, override_ko)}".strip()
    return f"{city}, {country_name(country, lang)}" if city else country_name(country, lang)
