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
