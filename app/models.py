"""Every table, imported in one place for Alembic and the schema test."""

from app.audit.models import AuditEvent
from app.auth.models import (
    AuthSession,
    Invitation,
    SignInFailure,
    User,
    UserMission,
    UserRole,
)
from app.booths.models import BoothCheck, BoothLink
from app.database import Base
from app.followups.models import FollowUp, FollowUpStage
from app.imports.models import MeetingKey
from app.interpreting.models import InterpreterDuty
from app.matching.models import BuyerWantsRecord, CompanyWantsRecord, MeetingRequest
from app.meetings.models import AttendanceMark, MarkSource, Meeting, MeetingStatus
from app.missions.models import Mission, MissionStatus, Venue, VenueKind
from app.money.models import ExchangeRate
from app.organisations.models import Organisation
from app.outcomes.models import InterestLevel, Outcome, OutcomeVersion
from app.participants.models import Buyer, Company, Interpreter
from app.rooms.models import Attendance, SeatLink
from app.scheduling.models import PartyPlan

__all__ = [
    "Attendance",
    "AttendanceMark",
    "AuditEvent",
    "AuthSession",
    "Base",
    "BoothCheck",
    "BoothLink",
    "Buyer",
    "BuyerWantsRecord",
    "Company",
    "CompanyWantsRecord",
    "ExchangeRate",
    "FollowUp",
    "FollowUpStage",
    "InterestLevel",
    "Invitation",
    "Interpreter",
    "InterpreterDuty",
    "MarkSource",
    "Meeting",
    "MeetingKey",
    "MeetingRequest",
    "MeetingStatus",
    "Mission",
    "MissionStatus",
    "Organisation",
    "Outcome",
    "OutcomeVersion",
    "PartyPlan",
    "SeatLink",
    "SignInFailure",
    "User",
    "UserMission",
    "UserRole",
    "Venue",
    "VenueKind",
]
