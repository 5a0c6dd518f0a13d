"""Argon2id hashing: a hash verifies its password only, short passwords are refused."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from app.auth import passwords
from app.auth.passwords import (
    hash_password,
    hash_password_async,
    needs_rehash,
    verify_password,
    verify_password_async,
)


@pytest.fixture
def cheap_hashing() -> None:
    """Overrides the package's autouse fixture: these tests check the real parameters."""


def test_hash_is_argon2id_with_rfc_9106_parameters_and_verifies_only_its_password() -> None:
    first = hash_password("a long enough password")
    assert first.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify_password(first, "a long enough password")
    assert not verify_password(first, "a long enough passworD")
    assert not needs_rehash(first)


def test_hashes_are_salted_and_an_old_cheap_hash_asks_for_a_rehash() -> None:
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    previous = passwords.use_hasher(cheap)
    try:
        first = hash_password("a long enough password")
        assert first != hash_password("a long enough password")
    finally:
        passwords.use_hasher(previous)
    assert verify_password(first, "a long enough password")
    assert needs_rehash(first)


def test_no_hash_never_verifies() -> None:
    assert not verify_password(None, "no-such-account-dummy-password")
    assert not verify_password("not a hash", "anything at all")


@pytest.mark.parametrize("password", ["short", "x" * 11, "x" * 1025])
def test_length_outside_the_policy_is_refused(password: str) -> None:
    with pytest.raises(ValueError, match="characters"):
        hash_password(password)


async def test_async_variants_agree() -> None:
    previous = passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    try:
        hashed = await hash_password_async("twelve chars ok")
        assert await verify_password_async(hashed, "twelve chars ok")
        assert not await verify_password_async(hashed, "twelve chars no")
    finally:
        passwords.use_hasher(previous)
