"""Load-or-404 dependencies for companies, buyers and interpreters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.dependencies import SessionDep
from app.participants import service
from app.participants.exceptions import ParticipantNotFound
from app.participants.models import Buyer, Company, Interpreter
from app.schemas import PathId


async def get_company(company_id: PathId, session: SessionDep) -> Company:
    company = await service.get_company(session=session, company_id=company_id)
    if company is None:
        raise ParticipantNotFound("company", company_id)
    return company


async def get_buyer(buyer_id: PathId, session: SessionDep) -> Buyer:
    buyer = await service.get_buyer(session=session, buyer_id=buyer_id)
    if buyer is None:
        raise ParticipantNotFound("buyer", buyer_id)
    return buyer


async def get_interpreter(interpreter_id: PathId, session: SessionDep) -> Interpreter:
    interpreter = await service.get_interpreter(session=session, interpreter_id=interpreter_id)
    if interpreter is None:
        raise ParticipantNotFound("interpreter", interpreter_id)
    return interpreter


CompanyDep = Annotated[Company, Depends(get_company)]
BuyerDep = Annotated[Buyer, Depends(get_buyer)]
InterpreterDep = Annotated[Interpreter, Depends(get_interpreter)]
