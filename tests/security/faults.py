"""What the fault tests share: a private PostgreSQL instance they may stop, the service as a
real `python -m app` process (tests/live.py), and snapshots of the saved rows to compare
before and after."""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.database import Base, create_engine, create_sessionmaker
from app.settings import Settings
from bench.load import free_port
from tests import principals
from tests.live import ServiceProcess

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 240.0  # a loaded shared machine (load 35 seen) starts it slowly


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL's initdb is missing: apt-get install postgresql")
    return Path(found[-1]).parent


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own (initdb into a temporary folder, a free loopback
    port), so stopping it touches nobody else's tests. Run as `postgres` when we are root."""

    def __init__(self) -> None:
        self.bin = _postgres_bin()
        self.folder = Path(tempfile.mkdtemp(prefix="tradebooth-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.folder, "postgres", "postgres")
        self._pg(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--no-sync",
        )  # fmt: skip

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _pg(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{tool} failed: {result.stdout}{result.stderr}\n{log[-2000:]}")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off"
        )
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
                 "-t", "60", "start")  # fmt: skip

    def stop(self) -> None:
        """A fast shutdown: open connections are cut, as when an operator stops the server."""
        self._pg("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            try:
                self._pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            except RuntimeError:
                pass
        shutil.rmtree(self.folder, ignore_errors=True)


async def _admin_headers(database_url: str, settings: Settings) -> dict[str, str]:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return await principals.admin_headers(session, settings)
    finally:
        await engine.dispose()


def admin_headers(service: ServiceProcess) -> dict[str, str]:
    """Cookie and CSRF headers of a live admin session on the service's database."""
    return asyncio.run(_admin_headers(service.database_url, service.settings))


async def _snapshot(database_url: str, tables: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows: dict[str, list[tuple[Any, ...]]] = {}
            for name in tables:
                table = Base.metadata.tables[name]
                result = await connection.execute(select(table).order_by(*table.primary_key))
                rows[name] = [tuple(row) for row in result]
            return rows
    finally:
        await engine.dispose()


def snapshot(database_url: str, tables: list[str]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of `tables`, in primary-key order."""
    import app.models  # noqa: F401  (every table on the metadata)

    return asyncio.run(_snapshot(database_url, tables))


def outcome_body(recorded_by: str, value: str) -> dict[str, Any]:
    return {
        "recorded_by": recorded_by,
        "role": "organiser",
        "currency": "USD",  # the mission's own currency: no exchange rate needed
        "consultation_value": value,
        "expected_contract_value": "250000",
        "onsite_contract_amount": "12000.50",
        "interest_level": "high",
        "samples": "화장품 샘플 3종",
        "next_steps": "Send a quotation by Friday",
    }


def rates_body() -> dict[str, Any]:
    """A KRW rate for today: outcomes are stored in USD and KRW, so one must exist."""
    today = datetime.now(UTC).date().isoformat()
    return {
        "entered_by": "Organiser Kim",
        "rates": [{"currency": "KRW", "rate_date": today, "units_per_usd": "1400"}],
    }
