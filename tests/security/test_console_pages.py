"""Console pages: signed out they send the clerk to sign in; signed in they show the user's
organisation only, and a form that changes a mission needs the session's CSRF token and the
right to change it. The join page stays open: the seat's link authorizes it."""

from __future__ import annotations

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.dependencies import CSRF_HEADER
from app.auth.models import UserRole
from app.missions.models import Venue
from app.settings import Settings
from tests import factories, principals
from tests.conftest import SignIn


async def test_signed_out_the_console_redirects_to_sign_in_and_the_join_page_stays_open(
    anonymous_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mission = await factories.mission(session)
    for path in ("/missions", f"/missions/{mission.id}/board?lang=en", "/missions/new"):
        response = await anonymous_client.get(path)
        assert response.status_code == 303, (path, response.text)
        assert response.headers["location"].startswith("/sign-in?next=")
    board = await anonymous_client.get(f"/missions/{mission.id}/board?lang=en")
    assert (
        board.headers["location"] == f"/sign-in?next=%2Fmissions%2F{mission.id}%2Fboard%3Flang%3Den"
    )
    assert (await anonymous_client.get("/join")).status_code == 200
    assert (await anonymous_client.get("/sign-in")).status_code == 200


async def test_pages_show_the_users_organisation_and_forms_need_token_and_right(
    anonymous_client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    sign_in_as: SignIn,
) -> None:
    client = anonymous_client
    home, away = await factories.organisation(session), await factories.organisation(session)
    ours = await factories.mission(session, organisation_=home, name="Namdong-gu CIS mission")
    theirs = await factories.mission(session, organisation_=away, name="Suwon Hanoi mission")
    organiser = await principals.headers(
        session,
        settings,
        await principals.user(
            session, role=UserRole.ORGANISER, organisation_id=home.id, mission_ids=[ours.id]
        ),
    )
    viewer = await sign_in_as(UserRole.VIEWER, organisation_id=home.id)

    listed = await client.get("/missions?lang=en", headers=organiser)
    assert listed.status_code == 200
    assert "Namdong-gu CIS mission" in listed.text and "Suwon Hanoi mission" not in listed.text
    as_reader = await client.get(f"/missions/{ours.id}", headers=viewer)
    assert as_reader.status_code == 200
    assert 'id="venue-form"' not in as_reader.text  # no form a viewer could not send
    for path in (f"/missions/{theirs.id}", f"/missions/{theirs.id}/results"):
        assert (await client.get(path, headers=organiser)).status_code == 404

    url = f"/missions/{ours.id}/venues"
    booth = {"name": "Booth 7", "kind": "booth", "city": "Incheon", "country": "KR"}
    cookie_only = {"Cookie": organiser["Cookie"]}
    refused = await client.post(url, data=booth, headers=cookie_only)
    assert refused.status_code == 403  # no token in the form
    wrong = await client.post(url, data=booth | {"csrf_token": "x" * 43}, headers=cookie_only)
    assert wrong.status_code == 403
    as_viewer = await client.post(
        url, data=booth | {"csrf_token": viewer[CSRF_HEADER]}, headers={"Cookie": viewer["Cookie"]}
    )
    assert as_viewer.status_code == 403  # reads the mission, may not change it
    foreign = await client.post(
        f"/missions/{theirs.id}/venues",
        data=booth | {"csrf_token": organiser[CSRF_HEADER]},
        headers=cookie_only,
    )
    assert foreign.status_code == 404
    names = select(Venue.name).where(Venue.mission_id.in_([ours.id, theirs.id]))
    assert list(await session.scalars(names)) == []

    added = await client.post(
        url, data=booth | {"csrf_token": organiser[CSRF_HEADER]}, headers=cookie_only
    )
    assert added.status_code == 303, added.text
    assert list(await session.scalars(names)) == ["Booth 7"]
    # The page's own form carries the token.
    page = await client.get(f"/missions/{ours.id}", headers=organiser)
    assert 'id="venue-form"' in page.text
    assert f'name="csrf_token" value="{organiser[CSRF_HEADER]}"' in page.text


async def test_the_console_pages_that_change_a_mission_need_its_organiser_and_the_token(
    anonymous_client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    sign_in_as: SignIn,
) -> None:
    """Every form of the console's mission pages: a viewer of the organisation may read the
    page but not send the form (403), another organisation's organiser does not see the
    mission (404), a form without the session's token is refused (403), and nothing is
    written by any of them. Users and organisations are for admins."""
    client = anonymous_client
    home, away = await factories.organisation(session), await factories.organisation(session)
    mission = await factories.mission(session, organisation_=home)
    company = await factories.company(session, mission_=mission)
    buyer = await factories.buyer(session, mission_=mission)
    organiser = await sign_in_as(
        UserRole.ORGANISER, organisation_id=home.id, mission_ids=[mission.id]
    )
    viewer = await sign_in_as(UserRole.VIEWER, organisation_id=home.id)
    stranger = await sign_in_as(UserRole.ORGANISER, organisation_id=away.id)
    base = f"/missions/{mission.id}"
    forms = {
        f"{base}/companies": {"name": "Z Co", "industry": "food"},
        f"{base}/companies/{company.id}": {"name": "Renamed", "industry": "food"},
        f"{base}/companies/{company.id}/delete": {},
        f"{base}/buyers": {"company_name": "Z", "name": "Z", "country": "TH"},
        f"{base}/interpreters": {"name": "Z", "language_pairs": "ko-th"},
        f"{base}/requests": {"company_id": str(company.id), "buyer_id": str(buyer.id)},
        f"{base}/requests/approve-open": {},
        f"{base}/plan/propose": {"open": "09:00", "close": "18:00", "time_limit": "1"},
        f"{base}/links/issue": {},
        f"{base}/rates": {"currency": "KRW", "rate_date": "2027-01-01", "units_per_usd": "1400"},
    }
    for path in (*forms, "/users", "/organisations"):
        if path.endswith(("delete", "approve-open", "issue", "propose")):
            continue
        read = await client.get(path, headers=viewer)
        assert read.status_code == (403 if path == "/users" else 200), path
    for path in forms:
        assert (await client.get(path, headers=stranger)).status_code in (404, 405), path
    for path, data in forms.items():
        cookie = {"Cookie": organiser["Cookie"]}
        assert (await client.post(path, data=data, headers=cookie)).status_code == 403, path
        as_viewer = await client.post(
            path, data=data | {"csrf_token": viewer[CSRF_HEADER]},
            headers={"Cookie": viewer["Cookie"]},
        )
        assert as_viewer.status_code == 403, path
        foreign = await client.post(
            path, data=data | {"csrf_token": stranger[CSRF_HEADER]},
            headers={"Cookie": stranger["Cookie"]},
        )
        assert foreign.status_code == 404, path
    await session.refresh(company)
    assert company.name != "Renamed"
    for path in ("/users", "/organisations"):
        refused = await client.post(
            path, data={"name": "X", "email": "x@example.org", "role": "viewer",
                        "country": "KR", "csrf_token": organiser[CSRF_HEADER]},
            headers={"Cookie": organiser["Cookie"]},
        )
        assert refused.status_code == 403, path

    # The organiser of the mission may.
    added = await client.post(
        f"{base}/companies",
        data=forms[f"{base}/companies"] | {"csrf_token": organiser[CSRF_HEADER]},
        headers={"Cookie": organiser["Cookie"]},
    )
    assert added.status_code == 303, added.text[:300]
