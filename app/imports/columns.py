"""The meetings import's columns: the headings it reads, in English and Korean, and limits."""

from __future__ import annotations

import re

from app.imports.tables import Cell, text
from app.money.currencies import is_currency

MAX_BYTES = 4_000_000
MAX_ROWS = 20_000

# Column headings accepted for each field, in English and Korean; matched folded (case,
# spaces, punctuation and a bracketed suffix such as "(USD)" ignored), see `read_heading`.
HEADINGS: dict[str, tuple[str, ...]] = {
    "key": ("key", "meeting key", "meeting no", "no", "number", "#", "상담번호", "번호", "순번",
            "연번", "관리번호"),
    "company": ("company", "company name", "korean company", "참가기업", "참가기업명", "기업명",
                "회사명", "업체명", "참가업체", "기업"),
    "buyer_company": ("buyer company", "buyer company name", "바이어사", "바이어 회사",
                      "바이어 회사명", "바이어기업", "바이어 기업명", "바이어업체"),
    "buyer": ("buyer", "buyer name", "buyer contact", "바이어", "바이어명", "바이어 담당자"),
    "interpreter": ("interpreter", "통역", "통역사", "통역원"),
    "date": ("date", "day", "meeting date", "날짜", "일자", "상담일", "상담일자", "상담 날짜"),
    "start": ("start", "starts", "start time", "starts at", "time", "시작", "시작시간", "시작 시각",
              "상담시간", "시간"),
    "end": ("end", "ends", "end time", "ends at", "종료", "종료시간", "종료 시각"),
    "minutes": ("minutes", "duration", "length", "분", "소요시간", "상담시간(분)"),
    "status": ("status", "held", "attendance", "상태", "진행여부", "참석여부", "상담여부",
               "진행상태"),
    "currency": ("currency", "통화", "화폐", "통화단위"),
    "consultation_value": ("consultation value", "consultation", "value", "상담액", "상담금액",
                           "상담 금액"),
    "expected_contract_value": ("expected contract value", "expected contracts", "expected",
                                "pipeline", "계약추진액", "계약 추진액", "계약예상액",
                                "향후 계약 예상액", "향후계약예상액"),
    "onsite_contract_amount": ("on-site contract", "onsite contract", "on-site contract amount",
                               "onsite contract amount", "contract", "contract amount", "현장계약",
                               "현장계약액", "현장 계약액", "현장계약금액", "계약액"),
    "mou_amount": ("mou", "mou amount", "mou value", "mou액", "mou 금액", "업무협약",
                   "업무협약액", "mou체결액"),
    "interest_level": ("interest", "interest level", "관심도", "관심", "구매관심도"),
    "samples": ("samples", "샘플"),
    "next_steps": ("next steps", "follow-up", "후속조치", "향후계획", "후속 조치"),
    "notes": ("notes", "note", "memo", "remarks", "비고", "메모", "특이사항"),
    "reason": ("reason", "correction reason", "reason for change", "수정사유", "정정사유",
               "변경사유"),
}
AMOUNT_FIELDS = (
    "consultation_value",
    "expected_contract_value",
    "onsite_contract_amount",
    "mou_amount",
)
TEXT_FIELDS = ("samples", "next_steps", "notes")
OUTCOME_FIELDS = (*AMOUNT_FIELDS, "interest_level", *TEXT_FIELDS)
# What identifies the meeting of a row; later rows of a key may leave these blank.
MEETING_FIELDS = ("company", "buyer_company", "buyer", "date", "start", "end", "minutes")
# The order of the template's columns.
TEMPLATE_FIELDS = (
    "key", "company", "buyer_company", "buyer", "interpreter", "date", "start", "end", "status",
    "currency", *AMOUNT_FIELDS, "interest_level", "samples", "next_steps", "notes", "reason",
)  # fmt: skip
TEXT_LIMITS = {"samples": 5000, "next_steps": 5000, "notes": 20000, "reason": 2000}
_BRACKETED = re.compile(r"\s*[(\[]\s*([^)\]]*)\s*[)\]]\s*$")
PLATFORM_KEY = re.compile(r"TB-(\d{1,12})", re.IGNORECASE)


def _fold_heading(value: str) -> str:
    return "".join(c for c in value.casefold() if c.isalnum())


_HEADING_INDEX = {_fold_heading(h): name for name, hs in HEADINGS.items() for h in hs}


def read_heading(cell: Cell) -> tuple[str | None, str | None]:
    """(field, currency named in brackets) of a heading cell: "상담액(USD)" -> (value, USD)."""
    raw = text(cell)
    found = _HEADING_INDEX.get(_fold_heading(raw))
    if found is not None:
        return found, None
    bracket = _BRACKETED.search(raw)
    if bracket is None:
        return None, None
    name = _HEADING_INDEX.get(_fold_heading(raw[: bracket.start()]))
    code = bracket[1].strip().upper()
    if name in AMOUNT_FIELDS and is_currency(code):
        return name, code
    return name, None
