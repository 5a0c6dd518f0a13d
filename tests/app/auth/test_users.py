"""Managing users (admins): invite by one-time link, choose a password, change role and
missions, deactivate (sessions end), and never lose the last active admin."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.dependencies import CSRF_HEADER
from app.auth.models import UserRole
from tests import factories
from tests.app.auth.conftest import ManualClock, make_user, sign_in

USERS = "/api/v1/users"
ACCEPT = "/api/v1/auth/accept-invitation"
NEW_PASSWORD = "a brand new passphrase"


def _token(url: str) -> str:
    assert "/invite#" in url, url
    return url.split("#", 1)[1]


async def test_invite_accept_change_and_deactivate(
    auth_client: httpx.AsyncClient, session: AsyncSession, clock: ManualClock
) -> None:
    office = await factories.organisation(session)
    mission = await factories.mission(session, organisation_=office)
    admin = await make_user(session, role=UserRole.ADMIN)
    csrf = await sign_in(auth_client, admin.email)
    write = {CSRF_HEADER: csrf}

    invited = await auth_client.post(
        USERS,
        json={"email": "Clerk@Namdong.example", "name": "Kim Clerk", "role": "organiser",
              "organisation_id": office.id, "mission_ids": [mission.id]},
        headers=write,
    )
    assert invited.status_code == 201, invited.text
    body = invited.json()
    assert body["user"]["email"] == "clerk@namdong.example"
    assert body["user"]["has_password"] is False
    assert body["user"]["mission_ids"] == [mission.id]
    token = _token(body["url"])
    again = await auth_client.post(
        USERS, json={"email": "clerk@namdong.example", "role": "viewer",
                     "organisation_id": office.id}, headers=write,
    )
    assert again.status_code == 409

    # No password yet: signing in is refused whatever is typed.
    refused = await auth_client.post(
        "/api/v1/auth/sign-in", json={"email": "clerk@namdong.example", "password": "!"}
    )
    assert refused.status_code == 401

    # The invitee chooses a password through the link and is signed in.
    clerk = httpx.AsyncClient(transport=auth_client._transport, base_url="http://testserver")
    async with clerk:
        short = await clerk.post(ACCEPT, json={"token": token, "password": "short"})
        assert short.status_code == 422
        accepted = await clerk.post(ACCEPT, json={"token": token, "password": NEW_PASSWORD})
        assert accepted.status_code == 200, accepted.text
        assert (await clerk.get("/api/v1/auth/me")).json()["role"] == "organiser"
        used = await clerk.post(ACCEPT, json={"token": token, "password": NEW_PASSWORD})
        assert used.status_code == 400  # once only

        user_id = body["user"]["id"]
        # Organisers are not admins: no user management.
        assert (await clerk.get(USERS)).status_code == 403

        # Deactivated: the clerk's session ends at once.
        off = await auth_client.patch(f"{USERS}/{user_id}", json={"active": False}, headers=write)
        assert off.status_code == 200 and off.json()["active"] is False
        assert (await clerk.get("/api/v1/auth/me")).status_code == 401
    signed = await auth_client.post(
        "/api/v1/auth/sign-in", json={"email": "clerk@namdong.example", "password": NEW_PASSWORD}
    )
    assert signed.status_code == 401
    csrf = await sign_in(auth_client, admin.email)  # the failed sign-in dropped the cookies
    write = {CSRF_HEADER: csrf}

    # Back, as a viewer: a viewer organises nothing.
    back = await auth_client.patch(
        f"{USERS}/{user_id}", json={"active": True, "role": "viewer"}, headers=write
    )
    assert back.status_code == 200
    assert (back.json()["role"], back.json()["mission_ids"]) == ("viewer", [])
    # A mission of another organisation cannot be given to an organiser.
    elsewhere = await factories.mission(session)
    wrong = await auth_client.patch(
        f"{USERS}/{user_id}", json={"role": "organiser", "mission_ids": [elsewhere.id]},
        headers=write,
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "mission_ids"


async def test_a_link_expires_and_a_new_one_replaces_it(
    auth_client: httpx.AsyncClient, session: AsyncSession, clock: ManualClock
) -> None:
    admin = await make_user(session, role=UserRole.ADMIN)
    write = {CSRF_HEADER: await sign_in(auth_client, admin.email)}
    made = await auth_client.post(
        USERS, json={"email": "second.admin@example.org", "role": "admin"}, headers=write
    )
    first = _token(made.json()["url"])
    user_id = made.json()["user"]["id"]
    fresh = await auth_client.post(f"{USERS}/{user_id}/invitation", headers=write)
    assert fresh.status_code == 200
    second = _token(fresh.json()["url"])
    body = {"password": NEW_PASSWORD}
    assert (await auth_client.post(ACCEPT, json=body | {"token": first})).status_code == 400
    clock.advance(days=8)
    assert (await auth_client.post(ACCEPT, json=body | {"token": second})).status_code == 400


async def test_the_last_active_admin_stays(
    auth_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    admin = await make_user(session, role=UserRole.ADMIN)
    write = {CSRF_HEADER: await sign_in(auth_client, admin.email)}
    for change in ({"active": False}, {"role": "viewer"}):
        refused = await auth_client.patch(f"{USERS}/{admin.id}", json=change, headers=write)
        assert refused.status_code == 409, refused.text
        assert "without an active admin" in refused.json()["detail"]
    # With a second admin, the first may step down.
    await make_user(session, role=UserRole.ADMIN)
    office = await factories.organisation(session)
    down = await auth_client.patch(
        f"{USERS}/{admin.id}", json={"role": "viewer", "organisation_id": office.id},
        headers=write,
    )
    assert down.status_code == 200, down.text
