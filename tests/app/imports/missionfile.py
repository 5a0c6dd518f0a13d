"""A mission held off the platform, as the organiser's spreadsheet lists it, and its figures
computed here, independently of the importer and the report (Decimal, by hand's rules).

A CIS mission like Namdong-gu's 2024 one: Korean companies, buyers in Almaty, Astana and
Moscow; each row a meeting with its status and outcome in USD, KZT or RUB; some meetings
corrected by a later row with the same key; no-shows without values. Rates are chosen so every
conversion is exact (KZT 500, RUB 80, KRW 1,380 per USD): the expected totals owe nothing to
the importer's rounding.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from openpyxl import Workbook

# The headings a Korean district office's sheet has (the importer also reads English ones).
HEADINGS = {
    "key": "상담번호", "company": "참가기업", "buyer_company": "바이어사", "buyer": "바이어",
    "date": "상담일", "start": "시작", "end": "종료", "status": "상태", "currency": "통화",
    "consultation_value": "상담액", "expected_contract_value": "계약추진액",
    "onsite_contract_amount": "현장계약액", "mou_amount": "MOU액", "interest_level": "관심도",
    "notes": "비고",
    "reason": "수정사유",
}  # fmt: skip
RATES = {"USD": Decimal(1), "KZT": Decimal(500), "RUB": Decimal(80)}
KRW_PER_USD = Decimal(1380)
CENT = Decimal("0.01")

INDUSTRIES = ["beauty"] * 5 + ["machinery"] * 7 + ["electronics"] * 6
CITIES = [("KZ", "Almaty", "KZT"), ("KZ", "Astana", "KZT"), ("RU", "Moscow", "RUB")]


@dataclass
class MissionFile:
    start: date
    end: date
    companies: list[dict[str, Any]]
    buyers: list[dict[str, Any]]
    rows: list[dict[str, Any]]  # field -> cell, in file order (corrections after the rest)
    rates: list[tuple[str, str, str]] = field(
        default_factory=lambda: [("KZT", "2024-06-01", "500"), ("RUB", "2024-06-01", "80")]
    )

    @property
    def meeting_keys(self) -> list[str]:
        return list(dict.fromkeys(row["key"] for row in self.rows))


def cis_mission(
    *,
    meetings: int = 214,
    no_shows: int = 9,
    corrections: int = 6,
    companies: int = 18,
    buyers: int = 40,
    seed: int = 2024,
    start: date = date(2024, 6, 10),
    tag: str = "",
) -> MissionFile:
    """`meetings` rows over two days, 30-minute slots from 09:00, never double-booked."""
    rng = random.Random(seed)
    company_rows = [
        {"name": f"{tag}남동 {INDUSTRIES[i % len(INDUSTRIES)]} {i + 1:02d}",
         "industry": INDUSTRIES[i % len(INDUSTRIES)], "products": ["goods"]}
        for i in range(companies)
    ]  # fmt: skip
    buyer_rows = []
    for i in range(buyers):
        country, city, _ = CITIES[i % len(CITIES)]
        buyer_rows.append({"name": f"Buyer {i + 1}", "company_name": f"{city} Trade {i + 1} LLP",
                           "country": country, "city": city})
    rows: list[dict[str, Any]] = []
    slot = 0
    number = 0
    while number < meetings:
        day = start + timedelta(days=slot % 2)  # the two days take turns, from 09:00
        minutes = 9 * 60 + 30 * (slot // 2)
        begins = f"{minutes // 60:02d}:{minutes % 60:02d}"
        ends = f"{(minutes + 30) // 60:02d}:{(minutes + 30) % 60:02d}"
        # In one slot each company meets a different buyer (a rotation per slot).
        shift = slot * 7
        for c in range(companies):
            if number >= meetings:
                break
            b = (c + shift) % buyers
            number += 1
            rows.append({
                "key": f"CIS-{number:03d}",
                "company": company_rows[c]["name"],
                "buyer_company": buyer_rows[b]["company_name"],
                "buyer": buyer_rows[b]["name"],
                "date": day if number % 3 else day.isoformat(),  # a date cell or text
                "start": begins,
                "end": ends,
            })
        slot += 1
    absent = set(rng.sample(range(len(rows)), no_shows))
    for index, row in enumerate(rows):
        if index in absent:
            row["status"] = "불참"
            continue
        row["status"] = ["완료", "held", "", "완료"][index % 4]
        row.update(_outcome(rng, buyer_currency(row, buyer_rows, index), index))
    held = [i for i in range(len(rows)) if i not in absent]
    for index in rng.sample(held, corrections):
        first = rows[index]
        corrected = {k: first[k] for k in ("key",)}  # the meeting's other cells left blank
        currency = first["currency"] if index % 2 else "USD"  # one correction moves to USD
        corrected |= _outcome(rng, currency, index + 1000)
        corrected["reason"] = "상담액 정정"
        rows.append(corrected)
    return MissionFile(start, start + timedelta(days=1), company_rows, buyer_rows, rows)


def buyer_currency(row: dict[str, Any], buyers: list[dict[str, Any]], index: int) -> str:
    """The buyer's local currency, or US dollars for every fifth meeting."""
    city = next(b["city"] for b in buyers if b["company_name"] == row["buyer_company"])
    local = next(currency for _, name, currency in CITIES if name == city)
    return "USD" if index % 5 == 0 else local


def _outcome(rng: random.Random, currency: str, index: int) -> dict[str, Any]:
    def amount(low: int, high: int) -> Decimal:
        return (Decimal(rng.randint(low, high)) * RATES[currency] / 100).quantize(CENT)

    values: dict[str, Any] = {
        "currency": currency,
        "consultation_value": amount(1_000_000, 50_000_000),
        "expected_contract_value": amount(0, 10_000_000) if index % 3 else "",
    }
    if index % 11 == 0:
        values["onsite_contract_amount"] = amount(500_000, 5_000_000)
    elif index % 17 == 0:
        values["onsite_contract_amount"] = Decimal(0)  # an amount of 0 is not a contract
    if index % 13 == 0:
        values["mou_amount"] = amount(1_000_000, 20_000_000)
    if index % 7 == 0:  # as a grouped text, the way Excel exports a formatted number
        values["consultation_value"] = f"{values['consultation_value']:,}"
    return values


def _number(cell: Any) -> Decimal | None:
    if cell in (None, ""):
        return None
    return Decimal(str(cell).replace(",", ""))


def expected_figures(mission: MissionFile, *, krw: bool = True) -> dict[str, Any]:
    """The report's summary as the organiser would compute it from the sheet: per meeting
    its last row's values, held meetings only, deals counted when their amount is > 0."""
    final: dict[str, dict[str, Any]] = {}
    for row in mission.rows:
        if row["key"] not in final:
            final[row["key"]] = dict(row)
            continue
        # A correction row states the whole outcome: an amount it leaves blank is none.
        for name in ("currency", "consultation_value", "expected_contract_value",
                     "onsite_contract_amount", "mou_amount"):
            final[row["key"]][name] = row.get(name, "")
    totals: dict[str, Decimal] = {}
    counts = {"consultations": 0, "no_shows": 0, "onsite": 0, "mous": 0}
    for row in final.values():
        if row["status"] == "불참":
            counts["no_shows"] += 1
            continue
        counts["consultations"] += 1
        rate = RATES[row["currency"]]
        for name in ("consultation_value", "expected_contract_value",
                     "onsite_contract_amount", "mou_amount"):
            value = _number(row.get(name))
            if value is None:
                continue
            totals[name] = totals.get(name, Decimal(0)) + value / rate
            if name == "onsite_contract_amount" and value > 0:
                counts["onsite"] += 1
            if name == "mou_amount" and value > 0:
                counts["mous"] += 1

    def money(name: str) -> dict[str, str | None]:
        usd = totals.get(name, Decimal(0))
        won = (usd * KRW_PER_USD).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
        return {"usd": str(usd.quantize(CENT, rounding=ROUND_HALF_EVEN)),
                "krw": str(won) if krw else None}

    return {
        "meetings": len(final),
        "consultations": counts["consultations"],
        "no_shows": counts["no_shows"],
        "consultation_value": money("consultation_value"),
        "expected_contract_value": money("expected_contract_value"),
        "onsite_contracts": {"count": counts["onsite"], "value": money("onsite_contract_amount")},
        "mous": {"count": counts["mous"], "value": money("mou_amount")},
    }


def columns(rows: list[dict[str, Any]]) -> list[str]:
    return [name for name in HEADINGS if any(name in row for row in rows)]


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value) if value == value.quantize(CENT) else str(value)
    return value


def to_xlsx(rows: list[dict[str, Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    names = columns(rows)
    sheet.append([HEADINGS[name] for name in names])
    for row in rows:
        sheet.append([_cell(row.get(name, "")) for name in names])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    names = columns(rows)
    writer.writerow([HEADINGS[name] for name in names])
    for row in rows:
        writer.writerow(["" if row.get(name) is None else str(row.get(name, "")) for name in names])
    return out.getvalue().encode("utf-8")
