"""A spreadsheet to fill in for the companies or buyers import: the headings the import
reads (in Korean on a Korean page, else English) and one example row."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.styles import Font

from app.dependencies import SessionDep
from app.i18n import Translator
from app.imports.participants import HEADINGS, Kind
from app.pages.access import PageUser, readable
from app.pages.rendering import not_found, page_lang
from app.schemas import PathId

router = APIRouter(include_in_schema=False)

EXAMPLES: dict[Kind, dict[str, str]] = {
    "companies": {
        "name": "Hanbit Cosmetics", "industry": "cosmetics",
        "products": "sheet masks, cushion foundation", "contact_name": "Kim Minji",
        "contact_email": "minji@hanbit.example", "contact_phone": "+82 32 123 4567",
        "languages": "ko, en", "website": "https://hanbit.example",
        "description": "Natural cosmetics made in Incheon",
    },
    "buyers": {
        "name": "Nguyen Van An", "company_name": "Viet Beauty JSC", "country": "VN",
        "city": "Hanoi", "industries_sought": "cosmetics", "products_sought": "sheet masks",
        "languages": "vi, en", "contact_email": "an@vietbeauty.example",
    },
}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def heading(kind: Kind, field: str, lang: str) -> str:
    """The heading a clerk reads, among those the import accepts for the field."""
    names = HEADINGS[kind][field]
    if lang == "ko":
        korean = [n for n in names if any("\uac00" <= ch <= "\ud7a3" for ch in n)]
        if korean:
            return korean[0]
    spaced = [n for n in names if " " in n and n.isascii()]
    return (spaced[0] if spaced else names[0]).capitalize()


def rows(kind: Kind, lang: str) -> list[list[str]]:
    fields = list(HEADINGS[kind])
    example = dict(EXAMPLES[kind])
    if "country" in example:
        example["country"] = Translator(lang).country(example["country"])
    return [[heading(kind, f, lang) for f in fields], [example.get(f, "") for f in fields]]


@router.get("/missions/{mission_id}/import/template.{extension}")
async def import_template(
    request: Request, session: SessionDep, mission_id: PathId, user: PageUser,
    extension: Literal["xlsx", "csv"],
    kind: Annotated[Literal["companies", "buyers"], Query()] = "companies",
) -> Response:
    mission = await readable(session, user, mission_id)
    if mission is None:
        return not_found(request, "mission")
    table = rows(kind, page_lang(request))
    filename = f"tradebooth-{kind}.{extension}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if extension == "csv":
        out = io.StringIO()
        csv.writer(out).writerows(table)
        # With a byte-order mark Excel opens UTF-8 (Korean names) correctly.
        return Response(("\ufeff" + out.getvalue()).encode(), headers=headers,
                        media_type="text/csv; charset=utf-8")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = kind
    for row in table:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in sheet.columns:
        width = max(len(str(cell.value or "")) for cell in column) + 4
        sheet.column_dimensions[column[0].column_letter].width = min(40, width)
    out_bytes = io.BytesIO()
    book.save(out_bytes)
    return Response(out_bytes.getvalue(), headers=headers, media_type=XLSX)
