"""`python -m app.auth create-admin`: the first admin, from a shell, password on stdin."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from sqlalchemy import select

from app.auth.__main__ import main
from app.auth.models import User, UserRole
from app.auth.passwords import verify_password
from app.database import create_engine, create_sessionmaker
from tests.conftest import create_sqlite_database


async def _users(url: str) -> list[User]:
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            return list((await session.scalars(select(User).order_by(User.id))).all())
    finally:
        await engine.dispose()


def test_create_admin_then_refuse_a_second_with_the_same_email(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = create_sqlite_database(tmp_path)
    monkeypatch.setenv("TRADEBOOTH_DATABASE_URL", url)
    monkeypatch.setattr("sys.stdin", io.StringIO("a strong first password\n"))
    assert main(["create-admin", "--email", "Root@Example.org", "--password-stdin"]) == 0
    assert "created" in capsys.readouterr().out

    [user] = asyncio.run(_users(url))
    assert (user.email, user.role, user.organisation_id) == (
        "root@example.org",
        UserRole.ADMIN,
        None,
    )
    assert verify_password(user.password_hash, "a strong first password")

    monkeypatch.setattr("sys.stdin", io.StringIO("another strong password\n"))
    assert main(["create-admin", "--email", "root@example.org", "--password-stdin"]) == 1
    assert "exists" in capsys.readouterr().err


def test_a_short_password_is_refused_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = create_sqlite_database(tmp_path)
    monkeypatch.setenv("TRADEBOOTH_DATABASE_URL", url)
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["create-admin", "--email", "a@example.org", "--password-stdin"]) == 2
    assert not Path(url.removeprefix("sqlite+aiosqlite:///")).exists()
