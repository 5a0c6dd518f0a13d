"""The results page: the figures organisers publish, charts, downloads; one A4 page in print."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from sqlalchemy import select

from app.auth.dependencies import NowDep
from app.dependencies import SessionDep
from app.i18n import Translator
from app.money.models import ExchangeRate
from app.organisations.models import Organisation
from app.pages.access import PageUser, changeable, readable
from app.pages.queries import OutcomeSummary, meeting_parties, mission_meetings, mission_outcomes
from app.pages.rendering import page_lang, render
from app.reports import charts
from app.reports.press import krw_en, krw_ko, usd_en, usd_ko
from app.reports.schemas import Amount, BreakdownRow, Report
from app.reports.service import build_report
from app.schemas import PathId

router = APIRouter(include_in_schema=False)

TOP = 8  # bars per chart: the page must print on one A4 sheet


@dataclass(frozen=True)
class Tile:
    """One published figure: its name, a count, a USD and a KRW amount (either may be absent)."""

    key: str
    count: int | None
    amount: Amount | None


def usd_text(value: Decimal, lang: str) -> str:
    return usd_ko(value) if lang == "ko" else usd_en(value)


def krw_text(value: Decimal | None, lang: str) -> str:
    if value is None:
        return ""
    return krw_ko(value) if lang == "ko" else krw_en(value)


def _name(row: BreakdownRow, lang: str) -> str:
    return row.label_ko if lang == "ko" else row.label


def _count_note(t: Translator, row: BreakdownRow, lang: str) -> str:
    figures = row.figures
    return t(
        "results.chart.note",
        count=figures.consultations,
        value=charts.money(figures.consultation_value.usd, lang),
    )


def _bars(t: Translator, rows: list[BreakdownRow], lang: str) -> list[charts.Item]:
    held = [row for row in rows if row.figures.consultations]
    ranked = sorted(held, key=lambda r: (-r.figures.consultation_value.usd,
                                         -r.figures.consultations, r.key))
    return [
        charts.Item(row.key, _name(row, lang), row.figures.consultation_value.usd,
                    _count_note(t, row, lang))
        for row in ranked[:TOP]
    ]


def build_charts(t: Translator, report: Report, lang: str) -> dict[str, Markup]:
    b = report.breakdowns
    empty = t("results.chart.empty")
    places = b["city"] if len(b["city"]) > 1 or len(b["country"]) < 2 else b["country"]
    days = [row for row in b["day"] if row.figures.meetings]
    return {
        "place": charts.bar_chart(_bars(t, places, lang), title=t("results.chart.place"),
                                  chart_id="chart-place", empty=empty),
        "industry": charts.bar_chart(_bars(t, b["industry"], lang),
                                     title=t("results.chart.industry"),
                                     chart_id="chart-industry", empty=empty),
        "day": charts.column_chart(
            [charts.Item(row.key, charts.day_label(date.fromisoformat(row.key), lang),
                         Decimal(row.figures.consultations),
                         t("results.chart.count", count=row.figures.consultations))
             for row in days],
            caption=[charts.money(row.figures.consultation_value.usd, lang) for row in days],
            title=t("results.chart.day"), chart_id="chart-day", empty=empty,
        ),
        "company": charts.bar_chart(_bars(t, b["company"], lang),
                                    title=t("results.chart.company"),
                                    chart_id="chart-company", empty=empty),
    }  # fmt: skip


@router.get("/missions/{mission_id}/results")
async def results_page(
    request: Request,
    session: SessionDep,
    mission_id: PathId,
    user: PageUser,
    now: NowDep,
    imported: Annotated[int | None, Query(ge=0)] = None,
    created: Annotated[int | None, Query(ge=0)] = None,
    updated: Annotated[int | None, Query(ge=0)] = None,
    versions: Annotated[int | None, Query(ge=0)] = None,
) -> HTMLResponse:
    mission = await readable(session, user, mission_id)
    if mission is None:
        return render(request, "not_found.html", status_code=404, what="mission")
    organisation = await session.get(Organisation, mission.organisation_id)
    organiser = organisation.name if organisation else ""
    as_of = now.astimezone(ZoneInfo(mission.timezone)).date()
    report = await build_report(
        session=session, mission_ids=[mission.id], as_of=as_of, organiser=organiser
    )
    meetings = await mission_meetings(session, mission.id)
    parties = await meeting_parties(session, meetings)
    outcomes: dict[int, OutcomeSummary] = await mission_outcomes(session, mission.id)
    rates = list(await session.scalars(
        select(ExchangeRate).where(ExchangeRate.mission_id == mission.id)
        .order_by(ExchangeRate.currency, ExchangeRate.rate_date)))  # fmt: skip
    lang = page_lang(request)
    t = Translator(lang)
    s = report.summary
    tiles = [
        Tile("consultations", s.consultations, None),
        Tile("consultation_value", None, s.consultation_value),
        Tile("expected_contract_value", None, s.expected_contract_value),
        Tile("onsite_contracts", s.onsite_contracts.count, s.onsite_contracts.value),
        Tile("mous", s.mous.count, s.mous.value),
    ]
    context: dict[str, Any] = {
        "mission": mission,
        "organiser": organiser,
        "report": report,
        "tiles": tiles,
        "charts": build_charts(t, report, lang),
        "press": report.press_release.ko if lang == "ko" else report.press_release.en,
        "usd_text": usd_text,
        "krw_text": krw_text,
        "meetings": meetings,
        "parties": parties,
        "outcomes": outcomes,
        "rates": rates,
        "rates_back": "results",
        "rate_currency": "KRW",
        "rate_date": report.missing_rates[0].on.isoformat() if report.missing_rates else None,
        "can_change": await changeable(session, user, mission),
        "imported": imported,
        "import_counts": {"created": created or 0, "updated": updated or 0,
                          "versions": versions or 0},
    }
    return render(request, "results.html", **context)

