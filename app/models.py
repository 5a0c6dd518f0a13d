"""Every table, imported in one place for Alembic and the schema test."""

from app.database import Base
from app.followups.models import FollowUp, FollowUpStage
from app.meetings.models import Meeting, MeetingStatus
from app.missions.models import Mission, MissionStatus, Venue, VenueKind
from app.money.models import ExchangeRate
from app.organisations.models import Organisation
from app.outcomes.models import InterestLevel, Outcome, OutcomeVersion
from app.participants.models import Buyer, Company, Interpreter
from app.rooms.models import Attendance, SeatLink

__all__ = [
    "Attendance",
    "Base",
    "Buyer",
    "Company",
    "ExchangeRate",
    "FollowUp",
    "FollowUpStage",
    "InterestLevel",
    "Interpreter",
    "Meeting",
    "MeetingStatus",
    "Mission",
    "MissionStatus",
    "Organisation",
    "Outcome",
    "OutcomeVersion",
    "SeatLink",
    "Venue",
    "VenueKind",
]
