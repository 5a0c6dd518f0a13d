"""The signed-in app of the auth tests, reused for the audit API."""

from tests.app.auth.conftest import (  # noqa: F401
    auth_client,
    auth_settings,
    cheap_hashing,
    clock,
    extra_routes,
)
