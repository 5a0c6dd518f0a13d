"""Settings: defaults that are safe, a default secret refused in production, docs kept true."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.settings import DEVELOPMENT_SECRET, Settings


def test_defaults_use_sqlite_under_var_and_no_ice_servers() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url.startswith("sqlite+aiosqlite:///./var/")
    assert settings.ice_servers == []


def test_production_refuses_the_default_secret() -> None:
    with pytest.raises(ValidationError, match="TRADEBOOTH_SECRET_KEY"):
        Settings(environment="production")
    settings = Settings(environment="production", secret_key="a-real-secret-" + "x" * 20)
    assert settings.secret_key.get_secret_value() != DEVELOPMENT_SECRET


def test_environment_variables_use_the_tradebooth_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEBOOTH_PORT", "9123")
    monkeypatch.setenv("TRADEBOOTH_ICE_SERVERS", '[{"urls": ["turn:127.0.0.1:3478"]}]')
    settings = Settings()
    assert settings.port == 9123
    assert settings.ice_servers[0].urls == ["turn:127.0.0.1:3478"]


def test_readme_documents_every_setting() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    documented = set(re.findall(r"`TRADEBOOTH_([A-Z_]+)`", readme))
    assert {name.upper() for name in Settings.model_fields} <= documented
