"""The demo mission: Namdong-gu's video export consultations with Indonesian buyers (idempotent)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import clock
from app.meetings.models import Meeting, MeetingStatus
from app.meetings.service import Booking, find_clashes
from app.missions.models import Mission, MissionStatus, Venue, VenueKind
from app.organisations.models import Organisation
from app.participants.models import Buyer, Company, Interpreter

logger = logging.getLogger(__name__)

ORGANISATION = "Namdong-gu Office"
MISSION = "Namdong-gu video export consultation with Indonesian buyers"
SEOUL = ZoneInfo("Asia/Seoul")
SLOT = timedelta(minutes=30)
DAY_START, DAY_END = time(9, 0), time(17, 0)
LUNCH = (time(12, 0), time(13, 0))
MEETINGS_PER_COMPANY = 4


@dataclass(frozen=True)
class DemoCompany:
    name: str
    industry: str
    products: tuple[str, ...]


@dataclass(frozen=True)
class DemoBuyer:
    name: str
    company_name: str
    city: str
    industries: tuple[str, ...]
    products: tuple[str, ...]
    language: str  # "id" or "en": which interpreter the meeting needs


# Industries and products as in the district reports (domain.md); the names are invented.
COMPANIES = (
    DemoCompany("Haeum Cosmetics", "cosmetics", ("sheet masks", "sun cream")),
    DemoCompany("Sobit Beauty Lab", "cosmetics", ("cushion foundation", "lip tint")),
    DemoCompany("Cheongna Skin Science", "cosmetics", ("hair-loss shampoo", "scalp tonic")),
    DemoCompany("Gaon Nail Devices", "beauty devices", ("electric nail-care device",)),
    DemoCompany("Sorak Foods", "food", ("ready meals", "frozen dumplings")),
    DemoCompany("Incheon Natural Colour", "food ingredients", ("natural colourants",)),
    DemoCompany("Hanmaru Kimchi", "food", ("kimchi", "gochujang sauces")),
    DemoCompany("Namdong Precision Motors", "motors and blowers", ("BLDC motors", "blowers")),
    DemoCompany("Daeyang Fan Tech", "motors and blowers", ("industrial ventilation fans",)),
    DemoCompany("Soundwave AV", "audio/video equipment", ("conference cameras", "speakers")),
    DemoCompany("Arirang Seating", "theatre seating", ("theatre chairs", "auditorium seating")),
    DemoCompany("Nuri Networks", "Wi-Fi routers", ("Wi-Fi 6 routers", "mesh access points")),
    DemoCompany("Clearflow Filters", "shower filters", ("vitamin C shower filters",)),
    DemoCompany("Pureum Living", "shower filters", ("water softening shower heads",)),
    DemoCompany("Edumate Korea", "edtech software", ("AI English tutoring app",)),
    DemoCompany("Shield Soft", "security software", ("endpoint security", "CCTV analytics")),
    DemoCompany("Bitgoeul Lighting", "electronics", ("LED panel lights",)),
)

BUYERS = (
    DemoBuyer("Budi Santoso", "PT Cantik Sejahtera", "Jakarta",
              ("cosmetics", "beauty devices"), ("skin care", "nail care"), "id"),
    DemoBuyer("Siti Rahmawati", "PT Dewi Kosmetik Nusantara", "Jakarta",
              ("cosmetics", "shower filters"), ("halal cosmetics", "bath products"), "id"),
    DemoBuyer("Andi Wijaya", "PT Rasa Boga Utama", "Jakarta",
              ("food", "food ingredients"), ("ready meals", "food colouring"), "id"),
    DemoBuyer("Rina Kusuma", "PT Segar Pangan Indonesia", "Surabaya",
              ("food", "food ingredients"), ("frozen food", "sauces"), "id"),
    DemoBuyer("Hendra Gunawan", "PT Mesin Jaya Teknik", "Surabaya",
              ("motors and blowers", "electronics"), ("motors", "ventilation"), "id"),
    DemoBuyer("Dewi Lestari", "PT Sinar Elektrik", "Jakarta",
              ("electronics", "motors and blowers"), ("lighting", "fans"), "id"),
    DemoBuyer("Michael Tanoto", "PT Visi Media Teknologi", "Jakarta",
              ("audio/video equipment", "Wi-Fi routers"), ("AV systems", "networking"), "en"),
    DemoBuyer("Agus Salim", "PT Gedung Pertunjukan Nusantara", "Jakarta",
              ("theatre seating", "audio/video equipment"), ("auditorium fit-out",), "id"),
    DemoBuyer("Linda Halim", "PT Jaringan Pintar", "Bandung",
              ("Wi-Fi routers", "security software"), ("routers", "security"), "en"),
    DemoBuyer("Yusuf Hakim", "PT Edukasi Cerdas", "Jakarta",
              ("edtech software", "security software"), ("learning apps",), "en"),
    DemoBuyer("Putri Anggraini", "PT Rumah Sehat Mandiri", "Medan",
              ("shower filters", "cosmetics"), ("water filters", "personal care"), "id"),
    DemoBuyer("Bambang Prasetyo", "PT Graha Retail Indonesia", "Surabaya",
              ("beauty devices", "food", "electronics"), ("retail goods",), "id"),
)

INTERPRETERS = (
    ("Kim Sujin", ("ko-id",)),
    ("Park Jiwon", ("ko-id",)),
    ("Lee Hana", ("ko-id", "ko-en")),
    ("Choi Minho", ("ko-id",)),
    ("Jung Yerin", ("ko-en",)),
)
BOOTHS = 6  # consultation booths set up in the district office
JAKARTA_ROOMS = 4  # Korean business centre rooms in Jakarta; other buyers use their offices


def _pairs() -> list[tuple[int, int]]:
    """(company, buyer) pairs, interests matched: each company meets up to four buyers."""
    pairs: list[tuple[int, int]] = []
    load = [0] * len(BUYERS)
    for c, company in enumerate(COMPANIES):
        keen = [b for b, buyer in enumerate(BUYERS) if company.industry in buyer.industries]
        # Least-booked buyers first spreads the companies over every buyer.
        for b in sorted(keen, key=lambda b: (load[b], b))[:MEETINGS_PER_COMPANY]:
            pairs.append((c, b))
            load[b] += 1
    return pairs


def _slots(day: date) -> list[datetime]:
    start = datetime.combine(day, DAY_START, SEOUL)
    end = datetime.combine(day, DAY_END, SEOUL)
    lunch_start = datetime.combine(day, LUNCH[0], SEOUL)
    lunch_end = datetime.combine(day, LUNCH[1], SEOUL)
    slots, at = [], start
    while at + SLOT <= end:
        if not (lunch_start <= at < lunch_end):
            slots.append(at.astimezone(UTC))
        at += SLOT
    return slots


async def _build(session: AsyncSession, organisation: Organisation, day: date) -> Mission:
    mission = Mission(
        organisation_id=organisation.id,
        name=MISSION,
        description=(
            "A week of 1:1 video export consultations: district SMEs in the office's booths, "
            "Indonesian buyers at the Korean business centre in Jakarta or in their own "
            "offices, with Korean-Indonesian and Korean-English interpreters."
        ),
        target_countries=["ID"],
        target_cities=["Jakarta", "Surabaya", "Bandung", "Medan"],
        start_date=day,
        end_date=day + timedelta(days=4),
        timezone="Asia/Seoul",
        currency="USD",
        slot_minutes=int(SLOT.total_seconds() // 60),
        status=MissionStatus.SCHEDULED,
    )
    session.add(mission)
    await session.flush()
    booths = [
        Venue(mission_id=mission.id, name=f"Namdong-gu Office consultation booth {n}",
              kind=VenueKind.BOOTH, city="Incheon", country="KR", timezone="Asia/Seoul",
              capacity=3)
        for n in range(1, BOOTHS + 1)
    ]
    rooms = [
        Venue(mission_id=mission.id, name=f"Korea Business Centre Jakarta room {letter}",
              kind=VenueKind.BUSINESS_CENTRE, city="Jakarta", country="ID",
              timezone="Asia/Jakarta", capacity=4)
        for letter in "ABCD"[:JAKARTA_ROOMS]
    ]
    companies = [
        Company(mission_id=mission.id, name=c.name, industry=c.industry,
                products=list(c.products), languages=["ko", "en"],
                contact_email=f"export@{c.name.lower().replace(' ', '-')}.example.kr")
        for c in COMPANIES
    ]
    buyers = [
        Buyer(mission_id=mission.id, name=b.name, company_name=b.company_name, country="ID",
              city=b.city, industries_sought=list(b.industries), products_sought=list(b.products),
              languages=["id", "en"] if b.language == "en" else ["id"])
        for b in BUYERS
    ]
    interpreters = [
        Interpreter(mission_id=mission.id, name=name, language_pairs=list(pairs))
        for name, pairs in INTERPRETERS
    ]
    session.add_all([*booths, *rooms, *companies, *buyers, *interpreters])
    await session.flush()

    waiting = _pairs()
    for starts_at in _slots(day):
        busy: set[tuple[str, int]] = set()
        for pair in list(waiting):
            c, b = pair
            pair_code = f"ko-{BUYERS[b].language}"
            interpreter = next(
                (i for i in interpreters
                 if pair_code in i.language_pairs and ("interpreter", i.id) not in busy),
                None,
            )
            booth = next((v for v in booths if ("venue", v.id) not in busy), None)
            room = None
            if BUYERS[b].city == "Jakarta":
                room = next((v for v in rooms if ("venue", v.id) not in busy), None)
            if (
                ("company", c) in busy or ("buyer", b) in busy or interpreter is None
                or booth is None or (BUYERS[b].city == "Jakarta" and room is None)
            ):
                continue
            booking = Booking(
                company_id=companies[c].id, buyer_id=buyers[b].id,
                interpreter_id=interpreter.id, company_venue_id=booth.id,
                buyer_venue_id=room.id if room else None, language_pair=pair_code,
                starts_at=starts_at, ends_at=starts_at + SLOT,
            )
            # The planner above should never double-book; the real rules check it anyway.
            if clashes := await find_clashes(session=session, mission=mission, booking=booking):
                raise RuntimeError(f"demo schedule would double-book: {clashes}")
            session.add(Meeting(mission_id=mission.id, status=MeetingStatus.SCHEDULED,
                                **booking.__dict__))
            await session.flush()
            busy |= {("company", c), ("buyer", b), ("interpreter", interpreter.id),
                     ("venue", booth.id)}
            if room:
                busy.add(("venue", room.id))
            waiting.remove(pair)
    if waiting:
        raise RuntimeError(f"{len(waiting)} demo meetings did not fit in the day")
    return mission


async def _find(session: AsyncSession) -> Mission | None:
    return await session.scalar(
        select(Mission)
        .join(Organisation, Organisation.id == Mission.organisation_id)
        .where(Organisation.name == ORGANISATION, Mission.name == MISSION)
    )


async def ensure_demo_mission(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    now: datetime | None = None,
    day: date | None = None,
) -> Mission:
    """The demo mission, created in one transaction the first time and found after that.

    `day` is the consultation day (default: the day of `now` in Seoul; `now` defaults to
    the service's clock). Two processes racing to create it: on SQLite the second waits for
    the first's write transaction and then finds its mission; on PostgreSQL the loser
    collides on the unique names, rolls back and returns the winner's.
    """
    async with sessionmaker() as session:
        if (existing := await _find(session)) is not None:
            return existing
        day = day or (now or clock.now()).astimezone(SEOUL).date()
        try:
            organisation = await session.scalar(
                select(Organisation).where(Organisation.name == ORGANISATION)
            )
            if organisation is None:
                organisation = Organisation(
                    name=ORGANISATION, kind="district_office", country="KR", city="Incheon"
                )
                session.add(organisation)
                await session.flush()
            mission = await _build(session, organisation, day)
            await session.commit()
        except IntegrityError:  # PostgreSQL: the racing first run commits first
            await session.rollback()
            if (existing := await _find(session)) is not None:
                return existing
            raise
        logger.info("demo mission %s created for %s", mission.id, day)
        return mission


# A meeting open now, so that someone who just ran `make run` can try a call -------------------

TRY_NOW_SLOT = timedelta(minutes=60)
TRY_NOW_MIN_LEFT = timedelta(minutes=15)  # a meeting ending sooner is not worth joining


@dataclass(frozen=True)
class TryNow:
    """A demo meeting covering the current time and one join URL per seat."""

    meeting: Meeting
    links: dict[str, str]
    kiosk: str | None = None  # the meeting's booth screen (docs/booths.md), joins by itself


@dataclass(frozen=True)
class _Walkin:
    """Parties the demo keeps out of its day's schedule, so a try-now call always fits."""

    company: Company
    buyer: Buyer
    interpreter: Interpreter
    booth: Venue


async def _walkin(session: AsyncSession, mission: Mission, n: int) -> _Walkin:
    """The demo's n-th set of walk-in parties (1, 2, ...), made the first time it is needed.

    Set 1 is all a demo normally needs; another is made only while an earlier one is held by
    a finished call that was booked to run past now.
    """
    suffix = "" if n == 1 else f" {n}"

    async def one(model: Any, name: str, **fields: Any) -> Any:
        row = await session.scalar(
            select(model).where(model.mission_id == mission.id, model.name == name)
        )
        if row is None:
            row = model(mission_id=mission.id, name=name, **fields)
            session.add(row)
            await session.flush()
        return row

    return _Walkin(
        company=await one(
            Company, f"Seohae Smart Farm{suffix}", industry="agritech",
            products=["smart greenhouse controllers"], languages=["ko", "en"],
            contact_email="export@seohae-smart-farm.example.kr",
        ),
        buyer=await one(
            Buyer, f"Dian Pratama{suffix}", company_name="PT Agro Digital Nusantara",
            country="ID", city="Jakarta", industries_sought=["agritech"],
            products_sought=["greenhouse automation"], languages=["id"],
        ),
        interpreter=await one(Interpreter, f"Han Seoyeon{suffix}", language_pairs=["ko-id"]),
        booth=await one(
            Venue, f"Namdong-gu Office walk-in booth{suffix}", kind=VenueKind.BOOTH,
            city="Incheon", country="KR", timezone="Asia/Seoul", capacity=3,
        ),
    )


async def _open_now(session: AsyncSession, mission: Mission, now: datetime) -> Meeting | None:
    return await session.scalar(
        select(Meeting)
        .where(
            Meeting.mission_id == mission.id,
            Meeting.starts_at <= now,
            Meeting.ends_at > now + TRY_NOW_MIN_LEFT,
            Meeting.status.in_([MeetingStatus.SCHEDULED, MeetingStatus.LIVE]),
        )
        .order_by(Meeting.starts_at)
        .limit(1)
    )


async def _book_now(session: AsyncSession, mission: Mission, now: datetime) -> Meeting:
    """A walk-in meeting from now for the next hour: booked, or an earlier one stretched.

    The walk-in parties are in no meeting of the demo's day, so this never depends on the
    hour: at 08:40 in Seoul the day's booths are all about to be busy, the walk-in booth not.
    """
    starts_at = now.replace(second=0, microsecond=0)
    ends_at = starts_at + TRY_NOW_SLOT
    first_day = starts_at.astimezone(SEOUL).date()
    last_day = (ends_at - timedelta(microseconds=1)).astimezone(SEOUL).date()
    mission.start_date = min(mission.start_date, first_day)
    mission.end_date = max(mission.end_date, last_day)
    for n in range(1, 100):
        walkin = await _walkin(session, mission, n)
        # PostgreSQL: a second process starting at the same time waits here, then finds
        # this one's meeting among the clashes and takes it.
        await session.get(Company, walkin.company.id, with_for_update=True)
        booking = Booking(
            company_id=walkin.company.id, buyer_id=walkin.buyer.id,
            interpreter_id=walkin.interpreter.id, company_venue_id=walkin.booth.id,
            buyer_venue_id=None, language_pair="ko-id", starts_at=starts_at, ends_at=ends_at,
        )
        clashes = await find_clashes(session=session, mission=mission, booking=booking)
        if not clashes:
            meeting = Meeting(
                mission_id=mission.id, status=MeetingStatus.SCHEDULED, **booking.__dict__
            )
            session.add(meeting)
            await session.flush()
            return meeting
        # An earlier walk-in call still scheduled or live (ending in less than a quarter of an
        # hour, or it would have been found) runs on for another hour.
        earlier = await session.get(Meeting, clashes[0]["meeting_id"])
        if (
            earlier is not None
            and len({c["meeting_id"] for c in clashes}) == 1
            and earlier.status in (MeetingStatus.SCHEDULED, MeetingStatus.LIVE)
            and earlier.status_marked_by is None
            and earlier.starts_at <= now
        ):
            earlier.ends_at = ends_at
            await session.flush()
            return earlier
    raise RuntimeError("no walk-in parties free for a demo meeting now")  # 99 sets: never


async def ensure_meeting_open_now(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    mission: Mission,
    base_url: str,
    secret_key: str,
    now: datetime | None = None,
) -> TryNow:
    """A demo meeting running now (found, or booked for the next hour) and fresh seat links.

    The demo day's own meetings are often over or not yet open when someone tries the demo;
    this one lets them join a call at once, at any hour (see `_book_now`). Links are
    re-issued each start (older ones stop).
    """
    # rooms/ sits above app's records; imported here so the records do not depend on it.
    from app.booths import service as booths_service
    from app.booths.links import BoothSigner
    from app.rooms import service as rooms_service
    from rooms.links import LinkSigner

    now = now or clock.now()
    signer = LinkSigner(secret_key)
    async with sessionmaker() as session:
        mission = await session.get_one(Mission, mission.id)
        meeting = await _open_now(session, mission, now) or await _book_now(session, mission, now)
        links: dict[str, str] = {}
        for seat in rooms_service.seats_of(meeting):
            link = await rooms_service.issue_link(
                session=session, meeting=meeting, seat=seat,
                expires_at=meeting.ends_at + timedelta(hours=2), now=now,
            )
            links[seat.value] = f"{base_url}/join#{signer.sign(rooms_service.claims_of(link))}"
        kiosk = None
        booth = (
            await session.get(Venue, meeting.company_venue_id)
            if meeting.company_venue_id is not None
            else None
        )
        if booth is not None:
            booth_link = await booths_service.issue_link(
                session=session, mission=mission, venue=booth, seat=None,
                join_lead_seconds=None, now=now,
            )
            token = BoothSigner(secret_key).sign(booths_service.claims_of(booth_link))
            kiosk = f"{base_url}/kiosk#{token}"
        await session.commit()
        logger.info("demo meeting %s open now (%s to %s)", meeting.id, meeting.starts_at,
                    meeting.ends_at)
        return TryNow(meeting=meeting, links=links, kiosk=kiosk)
