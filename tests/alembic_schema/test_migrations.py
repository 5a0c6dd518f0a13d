"""Alembic's migrations give exactly the models' schema, and go back down to nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

import app.models  # noqa: F401
from app.database import Base
from app.migrations import downgrade, upgrade
from tests.conftest import create_postgres_database, create_sqlite_database, drop_postgres_database


def _sync_url(url: str) -> str:
    parsed = make_url(url)
    driver = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg2"}[parsed.get_backend_name()]
    return parsed.set(drivername=driver).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield create_sqlite_database(tmp_path)
        return
    url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)


def test_upgrade_gives_the_models_schema_and_downgrade_removes_it(empty_database: str) -> None:
    upgrade(empty_database)
    engine = create_sync_engine(_sync_url(empty_database))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
            tables = set(inspect(connection).get_table_names())
        assert differences == []
        assert set(Base.metadata.tables) <= tables

        downgrade(empty_database)
        with engine.connect() as connection:
            left = set(inspect(connection).get_table_names()) - {"alembic_version"}
        assert left == set()
    finally:
        engine.dispose()
