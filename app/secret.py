"""The key that signs seat and booth links: configured, or made once and kept beside the data.

Two installs never share a key: without `TRADEBOOTH_SECRET_KEY`, the first start writes a
random one to a file (mode 0600) beside the SQLite database, or under `var/` when the
database is elsewhere, and every later start reads it back. Production refuses to start
without a configured key (app/settings.py); so does a cluster, whose nodes must agree.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy.engine import make_url

from app.settings import Settings

logger = logging.getLogger(__name__)

KEY_FILE_NAME = "secret_key"


def key_file(settings: Settings) -> Path:
    """Where a generated key is kept for these settings."""
    if settings.secret_key_file is not None:
        return settings.secret_key_file
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).parent / KEY_FILE_NAME
    return Path("var") / KEY_FILE_NAME


def load_or_create_key(path: Path) -> str:
    """The key in `path`, written first if missing; two processes racing agree on one key."""
    with contextlib.suppress(FileNotFoundError):
        if key := path.read_text("utf-8").strip():
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    candidate = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(secrets.token_urlsafe(48) + "\n")
    try:
        os.link(candidate, path)  # fails if another process got there first: use theirs
        logger.info("made a new secret key in %s", path)
    except FileExistsError:
        pass
    finally:
        candidate.unlink()
    key = path.read_text("utf-8").strip()
    if not key:
        raise RuntimeError(f"the secret key file {path} is empty; delete it or set one")
    return key


def with_secret_key(settings: Settings) -> Settings:
    """`settings` with a secret key: its own, or the one kept in the key file."""
    if settings.secret_key is not None:
        return settings
    key = load_or_create_key(key_file(settings))
    return settings.model_copy(update={"secret_key": SecretStr(key)})
