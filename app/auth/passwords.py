"""Password hashing with Argon2id (argon2-cffi's RFC 9106 defaults), off the event loop."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
# Verified when the account does not exist, so both answers take the same time.
_dummy_hash = _hasher.hash("no-such-account-dummy-password")

MIN_LENGTH = 12
MAX_LENGTH = 1024


def use_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Swap the hasher (tests use cheap parameters); returns the one it replaces."""
    global _hasher, _dummy_hash
    previous, _hasher = _hasher, hasher
    _dummy_hash = hasher.hash("no-such-account-dummy-password")
    return previous


def hash_password(password: str) -> str:
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise ValueError(f"a password has {MIN_LENGTH} to {MAX_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; `None` checks against a dummy hash (and is False)."""
    try:
        _hasher.verify(password_hash or _dummy_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
    return password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


async def hash_password_async(password: str) -> str:
    # Argon2 takes tens of milliseconds of CPU: the media relay shares this event loop.
    return await asyncio.to_thread(hash_password, password)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(verify_password, password_hash, password)
