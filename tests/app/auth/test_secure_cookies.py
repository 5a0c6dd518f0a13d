"""Over https (or in production) the cookies are Secure and __Host- prefixed."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.settings import Settings
from tests.app.auth.conftest import PASSWORD, make_user


@pytest.fixture
def auth_settings(database_url: str) -> Settings:
    return Settings(
        environment="test",
        database_url=database_url,
        public_base_url="https://console.example.org",
    )


def test_the_setting_wins_over_the_base_url() -> None:
    base = {"environment": "test", "public_base_url": "https://console.example.org"}
    assert Settings(**base).cookies_secure  # type: ignore[arg-type]
    assert not Settings(**base, session_cookie_secure=False).cookies_secure  # type: ignore[arg-type]
    assert not Settings(environment="test").cookies_secure


async def test_cookies_are_secure_and_host_prefixed(
    auth_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    user = await make_user(session)
    response = await auth_client.post(
        "/api/v1/auth/sign-in", json={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    cookies = response.headers.get_list("set-cookie")
    assert {c.split("=", 1)[0] for c in cookies} == {
        "__Host-tradebooth_session",
        "__Host-tradebooth_csrf",
    }
    for cookie in cookies:
        assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
