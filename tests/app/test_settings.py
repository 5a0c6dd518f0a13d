"""Settings: defaults that are safe, a secret key of each install's own, docs kept true."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.main import create_app
from app.secret import key_file, with_secret_key
from app.settings import Settings


def test_defaults_use_sqlite_under_var_and_no_ice_servers() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url.startswith("sqlite+aiosqlite:///./var/")
    assert settings.ice_servers == []


def test_production_refuses_to_start_without_a_secret_of_its_own() -> None:
    with pytest.raises(ValidationError, match="TRADEBOOTH_SECRET_KEY"):
        Settings(environment="production")
    with pytest.raises(ValidationError, match="TRADEBOOTH_SECRET_KEY"):
        Settings(environment="production", secret_key="short")
    settings = Settings(environment="production", secret_key="a-real-secret-" + "x" * 20)
    assert with_secret_key(settings).signing_key == "a-real-secret-" + "x" * 20


def test_without_a_key_each_install_makes_its_own_and_keeps_it(tmp_path: Path) -> None:
    """Two fresh installs never sign with the same key; a restart signs with the same one."""
    first = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'one' / 'tradebooth.db'}")
    second = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'two' / 'tradebooth.db'}")
    assert first.secret_key is None
    key_one = with_secret_key(first).signing_key
    key_two = with_secret_key(second).signing_key
    assert key_one != key_two and len(key_one) >= 32
    path = key_file(first)
    assert path == tmp_path / "one" / "secret_key"  # beside the database
    assert path.stat().st_mode & 0o777 == 0o600
    assert with_secret_key(first).signing_key == key_one  # a restart finds it
    app = create_app(first)  # the service signs links with the kept key
    assert app.state.settings.signing_key == key_one
    configured = Settings(database_url=first.database_url, secret_key="x" * 40)
    assert with_secret_key(configured).signing_key == "x" * 40


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
