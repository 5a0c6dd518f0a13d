"""Sign-in, cookies, CSRF, sign-out, expiry and lock-out, on the real app and database."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import AuthSession, UserRole
from app.auth.service import revoke_all_sessions
from tests.app.auth.conftest import PASSWORD, ManualClock, make_user, sign_in

SIGN_IN = "/api/v1/auth/sign-in"
ME = "/api/v1/auth/me"
SIGN_OUT = "/api/v1/auth/sign-out"


async def test_sign_in_sets_http_only_same_site_cookies_and_me_answers(
    auth_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session, role=UserRole.ADMIN, email="Admin@Example.org")
    response = await auth_client.post(
        SIGN_IN, json={"email": "  admin@EXAMPLE.org ", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    cookies = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith("tradebooth_session="))
    csrf_cookie = next(c for c in cookies if c.startswith("tradebooth_csrf="))
    assert "HttpOnly" in session_cookie and "SameSite=strict" in session_cookie
    assert "HttpOnly" not in csrf_cookie
    body = response.json()
    assert body["user"] == {
        "id": user.id,
        "email": "admin@example.org",
        "name": "Test User",
        "role": "admin",
        "organisation_id": None,
    }
    assert "password" not in response.text

    # Only the token's hash is stored.
    token = auth_client.cookies["tradebooth_session"]
    stored = await session.get(AuthSession, hashlib.sha256(token.encode()).hexdigest())
    assert stored is not None and stored.user_id == user.id
    assert await session.scalar(select(func.count()).where(AuthSession.id == token)) == 0

    me = await auth_client.get(ME)
    assert me.status_code == 200
    assert me.json()["email"] == "admin@example.org"


async def test_wrong_password_and_unknown_account_get_the_same_answer(
    auth_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    wrong = await auth_client.post(SIGN_IN, json={"email": user.email, "password": "nope" * 4})
    unknown = await auth_client.post(
        SIGN_IN, json={"email": "nobody@example.org", "password": PASSWORD}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert "set-cookie" not in wrong.headers
    assert (await auth_client.get(ME)).status_code == 401


async def test_a_password_keeps_its_surrounding_blanks(
    auth_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    response = await auth_client.post(
        SIGN_IN, json={"email": user.email, "password": f" {PASSWORD} "}
    )
    assert response.status_code == 401


async def test_an_inactive_user_cannot_sign_in(
    auth_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    user.active = False
    await session.commit()
    response = await auth_client.post(SIGN_IN, json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 401


async def test_sign_out_needs_the_csrf_token_then_revokes_the_session(
    auth_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    csrf = await sign_in(auth_client, user.email)
    token = auth_client.cookies["tradebooth_session"]

    missing = await auth_client.post(SIGN_OUT)
    assert missing.status_code == 403
    assert "X-CSRF-Token" in missing.json()["detail"]
    wrong = await auth_client.post(SIGN_OUT, headers={"X-CSRF-Token": csrf[:-1] + "x"})
    assert wrong.status_code == 403
    assert (await auth_client.get(ME)).status_code == 200  # still signed in

    done = await auth_client.post(SIGN_OUT, headers={"X-CSRF-Token": csrf})
    assert done.status_code == 204
    assert "tradebooth_session" not in auth_client.cookies

    # The old cookie, replayed, no longer works: the session is revoked server-side.
    auth_client.cookies.set("tradebooth_session", token)
    replay = await auth_client.get(ME)
    assert replay.status_code == 401
    row = await session.get(AuthSession, hashlib.sha256(token.encode()).hexdigest())
    assert row is not None and row.revoked_at is not None


async def test_a_csrf_token_of_another_session_is_refused(
    auth_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    first = await make_user(session)
    second = await make_user(session)
    other_csrf = await sign_in(auth_client, second.email)
    auth_client.cookies.clear()
    await sign_in(auth_client, first.email)
    response = await auth_client.post(SIGN_OUT, headers={"X-CSRF-Token": other_csrf})
    assert response.status_code == 403


async def test_a_session_ends_after_its_lifetime_and_when_idle(
    auth_client: httpx.AsyncClient, session: AsyncSession, clock: ManualClock
) -> None:
    user = await make_user(session)
    start = clock.now
    await sign_in(auth_client, user.email)
    step = timedelta(minutes=29)  # used every 29 minutes: never idle for 30
    while clock.now + step < start + timedelta(hours=8):
        clock.now += step
        assert (await auth_client.get(ME)).status_code == 200
    clock.now += step  # past the 8 hours
    assert (await auth_client.get(ME)).status_code == 401

    await sign_in(auth_client, user.email)
    clock.advance(minutes=31)  # idle longer than 30 minutes
    assert (await auth_client.get(ME)).status_code == 401


async def test_lock_out_after_failures_and_unlock_after_the_window(
    auth_client: httpx.AsyncClient, session: AsyncSession, clock: ManualClock
) -> None:
    user = await make_user(session)
    for _ in range(3):
        clock.advance(seconds=10)
        wrong = await auth_client.post(SIGN_IN, json={"email": user.email, "password": "x" * 12})
        assert wrong.status_code == 401
    # Locked: even the right password is refused, without being checked.
    locked = await auth_client.post(SIGN_IN, json={"email": user.email, "password": PASSWORD})
    assert locked.status_code == 429
    retry = locked.json()["retry_after_seconds"]
    assert locked.headers["retry-after"] == str(retry)
    assert 0 < retry <= 15 * 60

    clock.advance(seconds=retry - 30)  # not yet
    still = await auth_client.post(SIGN_IN, json={"email": user.email, "password": PASSWORD})
    assert still.status_code == 429
    clock.advance(seconds=31)
    await sign_in(auth_client, user.email)


async def test_a_success_clears_the_account_failures(
    auth_client: httpx.AsyncClient, session: AsyncSession, clock: ManualClock
) -> None:
    user = await make_user(session)
    for _ in range(2):
        await auth_client.post(SIGN_IN, json={"email": user.email, "password": "x" * 12})
    await sign_in(auth_client, user.email)
    for _ in range(2):
        response = await auth_client.post(SIGN_IN, json={"email": user.email, "password": "y" * 12})
        assert response.status_code == 401
    await sign_in(auth_client, user.email)


async def test_one_client_address_guessing_many_accounts_is_throttled(
    auth_client: httpx.AsyncClient, session: AsyncSession, clock: ManualClock
) -> None:
    target = await make_user(session)
    for number in range(6):  # six accounts, two failures each: no account locked
        email = f"guess{number // 2}@example.org"
        response = await auth_client.post(SIGN_IN, json={"email": email, "password": "z" * 12})
        assert response.status_code == 401
    refused = await auth_client.post(SIGN_IN, json={"email": target.email, "password": PASSWORD})
    assert refused.status_code == 429
    clock.advance(minutes=16)
    await sign_in(auth_client, target.email)


async def test_bodies_are_checked_strictly(auth_client: httpx.AsyncClient) -> None:
    for body in (
        {"email": "a@example.org"},
        {"email": "a@example.org", "password": "p" * 1025},
        {"email": "a@example.org", "password": "p" * 12, "role": "admin"},
    ):
        assert (await auth_client.post(SIGN_IN, json=body)).status_code == 422
    form = await auth_client.post(SIGN_IN, data={"email": "a@example.org", "password": "p" * 12})
    assert form.status_code == 422  # a cross-site HTML form cannot post JSON


async def test_revoking_all_sessions_signs_a_user_out_everywhere(
    auth_client: httpx.AsyncClient, session: AsyncSession, clock: ManualClock
) -> None:
    user = await make_user(session)
    await sign_in(auth_client, user.email)
    first = auth_client.cookies["tradebooth_session"]
    await sign_in(auth_client, user.email)
    assert auth_client.cookies["tradebooth_session"] != first  # a new session each sign-in
    assert await revoke_all_sessions(session=session, user_id=user.id, now=clock.now) == 2
    assert (await auth_client.get(ME)).status_code == 401
    auth_client.cookies.set("tradebooth_session", first)
    assert (await auth_client.get(ME)).status_code == 401
