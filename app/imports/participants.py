"""Import of companies and buyers from CSV or XLSX: validate each row, save the good ones."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import LANGUAGES
from app.imports import tables
from app.imports.tables import ImportFileError
from app.missions.models import Mission
from app.participants import service
from app.participants.exceptions import ParticipantNameTaken
from app.participants.models import Buyer, Company
from app.participants.schemas import BuyerCreate, CompanyCreate
from app.schemas import country_codes

Kind = Literal["companies", "buyers"]
MAX_BYTES = 2_000_000
MAX_ROWS = 2_000

# Column headings accepted for each field (lower-cased), in English and in Korean, since
# district offices keep their lists in Korean spreadsheets.
HEADINGS: dict[Kind, dict[str, tuple[str, ...]]] = {
    "companies": {
        "name": ("name", "company", "company name", "회사명", "기업명", "업체명"),
        "industry": ("industry", "sector", "업종", "산업", "분야"),
        "products": ("products", "product", "품목", "제품", "주요품목", "주요 품목"),
        "contact_name": ("contact_name", "contact", "contact name", "담당자", "담당자명"),
        "contact_email": ("contact_email", "email", "e-mail", "이메일", "메일"),
        "contact_phone": ("contact_phone", "phone", "tel", "전화", "연락처", "전화번호"),
        "languages": ("languages", "language", "언어", "사용언어"),
        "website": ("website", "homepage", "web", "홈페이지", "웹사이트"),
        "description": ("description", "about", "소개", "회사소개", "기업소개"),
    },
    "buyers": {
        "name": ("name", "buyer", "buyer name", "contact", "바이어명", "바이어", "담당자"),
        "company_name": ("company_name", "company", "company name", "회사명", "바이어사", "기업명"),
        "country": ("country", "국가", "나라"),
        "city": ("city", "도시"),
        "city_ko": ("city_ko", "city (korean)", "도시(한글)", "도시 한글명", "한글 도시명"),
        "industries_sought": ("industries_sought", "industries", "industry", "관심업종", "업종"),
        "products_sought": ("products_sought", "products", "관심품목", "품목"),
        "languages": ("languages", "language", "언어"),
        "contact_email": ("contact_email", "email", "e-mail", "이메일"),
    },
}
LIST_FIELDS = {"products", "languages", "industries_sought", "products_sought"}
SCHEMAS: dict[Kind, type[BaseModel]] = {"companies": CompanyCreate, "buyers": BuyerCreate}
# Problems a clerk can fix from a plain sentence, rather than the validator's English.
SPECIFIC_ERRORS = {
    "contact_email": "import.error.email",
    "country": "import.error.country",
    "website": "import.error.website",
    "contact_phone": "import.error.phone",
    "languages": "import.error.languages",
    "name": "import.error.too_long",
    "company_name": "import.error.too_long",
}
_SPLIT = re.compile(r"[;|\n,/]+")


@dataclass
class RowProblem:
    field: str  # "" for the row as a whole
    key: str  # catalogue message key
    detail: str = ""


@dataclass
class ImportRow:
    line: int  # the row's line in the file (the heading is line 1)
    values: dict[str, str]
    data: dict[str, Any] | None = None  # validated fields, when the row is good
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class ImportPreview:
    kind: Kind
    columns: list[str]
    rows: list[ImportRow]
    unknown_headings: list[str]

    @property
    def good(self) -> list[ImportRow]:
        return [row for row in self.rows if row.ok]

    @property
    def bad(self) -> list[ImportRow]:
        return [row for row in self.rows if not row.ok]


def read_table(filename: str, content: bytes) -> list[list[str]]:
    """The file's cells as text, row by row (heading first)."""
    return tables.read_table(filename, content, max_bytes=MAX_BYTES)


def _country(value: str) -> str:
    """An ISO code from a code or a country's name in any of our languages."""
    code = value.strip()
    if code.upper() in country_codes():
        return code.upper()
    from babel import Locale

    wanted = code.casefold()
    for lang in LANGUAGES:
        for territory, name in Locale.parse(lang).territories.items():
            if name.casefold() == wanted and territory in country_codes():
                return str(territory)
    return code


def _field_value(name: str, raw: str) -> Any:
    raw = raw.strip()
    if name in LIST_FIELDS:
        items = [item.strip() for item in _SPLIT.split(raw) if item.strip()]
        return [item.lower() for item in items] if name == "languages" else items
    if name == "country":
        return _country(raw)
    return raw


def _problems(exc: ValidationError) -> list[RowProblem]:
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        name = str(error["loc"][0]) if error["loc"] else ""
        if error["type"] == "missing":
            key = "import.error.missing"
        else:
            key = SPECIFIC_ERRORS.get(name, "import.error.invalid")
        problems.append(RowProblem(field=name, key=key, detail=str(error["msg"])))
    return problems


async def _existing_names(session: AsyncSession, mission: Mission, kind: Kind) -> set[str]:
    if kind == "companies":
        names = await session.scalars(select(Company.name).where(Company.mission_id == mission.id))
        return {name.casefold() for name in names}
    pairs = await session.execute(
        select(Buyer.name, Buyer.company_name).where(Buyer.mission_id == mission.id)
    )
    return {f"{name}\x00{company}".casefold() for name, company in pairs}


def _identity(kind: Kind, data: dict[str, Any]) -> str:
    if kind == "companies":
        return str(data["name"]).casefold()
    return f"{data['name']}\x00{data['company_name']}".casefold()


async def preview(
    *, session: AsyncSession, mission: Mission, kind: Kind, table: list[list[str]]
) -> ImportPreview:
    """Every row of `table` validated as the API would, plus duplicates in the file and mission."""
    rows = [row for row in table if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise ImportFileError("import.file.no_rows")
    if len(rows) - 1 > MAX_ROWS:
        raise ImportFileError("import.file.too_many_rows", limit=MAX_ROWS)
    headings = [cell.strip().lower() for cell in rows[0]]
    columns: dict[int, str] = {}
    unknown: list[str] = []
    for index, heading in enumerate(headings):
        match = next(
            (name for name, names in HEADINGS[kind].items() if heading in names), None
        )
        if match is None:
            if heading:
                unknown.append(rows[0][index].strip())
        elif match not in columns.values():
            columns[index] = match
    schema = SCHEMAS[kind]
    required = [name for name, spec in schema.model_fields.items() if spec.is_required()]
    missing = [name for name in required if name not in columns.values()]
    if missing:
        raise ImportFileError("import.file.missing_columns", columns=", ".join(missing))
    existing = await _existing_names(session, mission, kind)
    seen: dict[str, int] = {}
    result: list[ImportRow] = []
    for line, cells in enumerate(table, start=1):
        if line == 1 or not any(cell.strip() for cell in cells):
            continue
        values = {
            name: cells[index].strip() if index < len(cells) else ""
            for index, name in columns.items()
        }
        row = ImportRow(line=line, values=values)
        raw = {name: _field_value(name, value) for name, value in values.items() if value.strip()}
        try:
            data = schema.model_validate(raw).model_dump()
        except ValidationError as exc:
            row.problems = _problems(exc)
        else:
            identity = _identity(kind, data)
            if identity in existing:
                row.problems.append(RowProblem(field="name", key="import.error.exists"))
            elif identity in seen:
                first = str(seen[identity])
                row.problems.append(
                    RowProblem(field="name", key="import.error.duplicate", detail=first)
                )
            else:
                seen[identity] = line
                row.data = data
        result.append(row)
    return ImportPreview(
        kind=kind, columns=list(columns.values()), rows=result, unknown_headings=unknown
    )


async def save(
    *, session: AsyncSession, mission: Mission, kind: Kind, rows: list[dict[str, Any]]
) -> tuple[int, list[str]]:
    """Create the confirmed rows (validated again); returns how many and the names refused."""
    created = 0
    refused: list[str] = []
    mission_id = mission.id
    for raw in rows:
        try:
            if kind == "companies":
                await service.create_company(
                    session=session, mission=mission, data=CompanyCreate.model_validate(raw)
                )
            else:
                await service.create_buyer(
                    session=session, mission=mission, data=BuyerCreate.model_validate(raw)
                )
        except (ValidationError, ParticipantNameTaken):
            refused.append(str(raw.get("name", "?")))
            # A refused row rolls the session back, which expires the mission row.
            mission = await session.get(Mission, mission_id) or mission
            continue
        created += 1
    return created, refused
