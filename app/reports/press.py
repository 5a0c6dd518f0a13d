"""Ready press-release paragraphs in the organisers' own style, Korean and English."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from app.reports.schemas import BreakdownRow, PressRelease, Report

MILLION = Decimal(1_000_000)
MAN = Decimal(10_000)  # 만
EOK = Decimal(100_000_000)  # 억


def usd_en(value: Decimal) -> str:
    """US$32.34 million; below a million, whole dollars (US$850,000)."""
    if value >= MILLION:
        millions = (value / MILLION).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
        return f"US${millions:,} million"
    return f"US${value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN):,}"


def usd_ko(value: Decimal) -> str:
    """3,234만 달러 from 100만 달러 up (to the nearest 만 달러, 1억 2,345만 달러 past 억);
    below that to the dollar: 6만 5,000달러, 8,500달러."""
    dollars = int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    if dollars < 10_000:
        return f"{dollars:,}달러"
    if dollars < 1_000_000:
        man, rest = divmod(dollars, 10_000)
        return f"{man}만 {rest:,}달러" if rest else f"{man}만 달러"
    man = int((value / MAN).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    eok, rest = divmod(man, 10_000)
    if eok == 0:
        return f"{rest:,}만 달러"
    return f"{eok:,}억 {rest:,}만 달러" if rest else f"{eok:,}억 달러"


def krw_ko(value: Decimal) -> str:
    """약 446억 원 (to the nearest 억 원); below 억 원, to the nearest 만 원."""
    if value >= EOK:
        eok = int((value / EOK).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
        return f"약 {eok:,}억 원"
    man = int((value / MAN).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
    return f"약 {man:,}만 원" if man else f"{value:,}원"


def krw_en(value: Decimal) -> str:
    """KRW 44.63 billion, KRW 850 million; below a million, to the won (KRW 650,000)."""
    if value >= 1_000_000_000:
        billions = (value / 1_000_000_000).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
        return f"KRW {billions:,} billion"
    if value >= 1_000_000:
        millions = (value / MILLION).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN)
        return f"KRW {millions:,} million"
    return f"KRW {value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN):,}"


def _krw_in_brackets(value: Decimal | None) -> str:
    """(약 446억 원), or nothing while the total has no KRW figure (a KRW rate is missing)."""
    return "" if value is None else f"({krw_ko(value)})"


def _count_en(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def _join_en(items: list[str]) -> str:
    if not items:  # a mission with no consultation held yet names no country
        return ""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _countries(rows: list[BreakdownRow], korean: bool) -> str:
    names = [row.label_ko if korean else row.label for row in rows if row.figures.consultations]
    if korean:
        return "·".join(names)
    return _join_en(names)


def english(report: Report, organiser: str = "") -> str:
    s = report.summary
    mission = " / ".join(m.name for m in report.missions)
    who = f"{organiser}'s {mission}" if organiser else mission
    countries = _countries(report.breakdowns["country"], korean=False)
    text = (
        f"At {who}, {_count_en(s.companies, 'company', 'companies')} held "
        f"{_count_en(s.consultations, 'consultation')} with {_count_en(s.buyers, 'buyer')}"
        + (f" from {countries}" if countries else "")
        + ", worth "
        f"{usd_en(s.consultation_value.usd)} in total."
    )
    signed = []
    if s.onsite_contracts.count:
        signed.append(
            f"{_count_en(s.onsite_contracts.count, 'on-site contract')} worth "
            f"{usd_en(s.onsite_contracts.value.usd)}"
        )
    if s.mous.count:
        signed.append(f"{_count_en(s.mous.count, 'MOU')} worth {usd_en(s.mous.value.usd)}")
    if signed:
        one = s.onsite_contracts.count + s.mous.count == 1
        text += f" {_join_en(signed)} {'was' if one else 'were'} signed."
    if s.expected_contract_value.usd:
        text += (
            f" Of the consultation value, {usd_en(s.expected_contract_value.usd)} is expected "
            "to become contracts."
        )
    cities = [row for row in report.breakdowns["city"] if row.figures.consultations]
    if len(cities) > 1:
        parts = []
        for row in cities:
            f = row.figures
            part = (
                f"{row.name}: {_count_en(f.consultations, 'consultation')} "
                f"({usd_en(f.consultation_value.usd)})"
            )
            if f.onsite_contracts.count:
                part += (
                    f", {_count_en(f.onsite_contracts.count, 'contract')} "
                    f"({usd_en(f.onsite_contracts.value.usd)})"
                )
            if f.mous.count:
                part += f", {_count_en(f.mous.count, 'MOU')} ({usd_en(f.mous.value.usd)})"
            parts.append(part)
        text += " By city, " + "; ".join(parts) + "."
    later = report.signed_later
    if later.count:
        text += (
            f" Since then, {_count_en(later.count, 'further contract')} worth "
            f"{usd_en(later.value.usd)} "
            + ("has" if later.count == 1 else "have")
            + f" been signed in follow-up (as of {report.as_of:%-d %B %Y})."
        )
    return text


def korean(report: Report, organiser: str = "") -> str:
    s = report.summary
    mission = " / ".join(m.name for m in report.missions)
    who = f"{organiser} {mission}" if organiser else mission
    countries = _countries(report.breakdowns["country"], korean=True)
    text = (
        f"{who}에서 참가 기업 {s.companies}개사가 "
        + (f"{countries} " if countries else "")
        + f"바이어 {s.buyers}개사와 1:1 상담 {s.consultations}건을 진행해 상담액 "
        f"{usd_ko(s.consultation_value.usd)}{_krw_in_brackets(s.consultation_value.krw)}의 "
        "성과를 거뒀다."
    )
    signed = []
    if s.onsite_contracts.count:
        signed.append(
            f"현장 계약 {s.onsite_contracts.count}건({usd_ko(s.onsite_contracts.value.usd)})"
        )
    if s.mous.count:
        signed.append(f"MOU {s.mous.count}건({usd_ko(s.mous.value.usd)})")
    if signed:
        text += f" {', '.join(signed)}이 " + (
            f"체결됐으며, 계약 추진액은 {usd_ko(s.expected_contract_value.usd)}에 이른다."
            if s.expected_contract_value.usd
            else "체결됐다."
        )
    elif s.expected_contract_value.usd:
        text += f" 계약 추진액은 {usd_ko(s.expected_contract_value.usd)}에 이른다."
    cities = [row for row in report.breakdowns["city"] if row.figures.consultations]
    if len(cities) > 1:
        parts = [
            f"{row.name_ko} {row.figures.consultations}건"
            f"({usd_ko(row.figures.consultation_value.usd)})"
            for row in cities
        ]
        text += " 도시별 상담 실적은 " + ", ".join(parts) + "이다."
    later = report.signed_later
    if later.count:
        text += (
            f" 이후 사후 관리를 통해 계약 {later.count}건({usd_ko(later.value.usd)})이 추가로 "
            f"체결됐다({report.as_of.year}년 {report.as_of.month}월 {report.as_of.day}일 기준)."
        )
    return text


def press_release(report: Report, organiser: str = "") -> PressRelease:
    return PressRelease(en=english(report, organiser), ko=korean(report, organiser))
