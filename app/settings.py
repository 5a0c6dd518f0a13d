"""The one place configuration is read: TRADEBOOTH_* environment variables."""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-change-me"


class IceServer(BaseModel):
    """One STUN/TURN server handed to aiortc and to the browser (RTCIceServer)."""

    urls: list[str]
    username: str | None = None
    credential: str | None = None


class Settings(BaseSettings):
    """Service settings. Built once in `create_app(settings)` and injected from there."""

    model_config = SettingsConfigDict(env_prefix="TRADEBOOTH_", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        "development", description="`production` refuses the default secret key."
    )
    database_url: str = Field(
        "sqlite+aiosqlite:///./var/tradebooth.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///... or postgresql+asyncpg://...",
    )
    host: str = Field("127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(8000, ge=1, le=65535, description="HTTP port.")
    public_base_url: str | None = Field(
        None, description="Base URL put into join links; defaults to http://HOST:PORT."
    )
    secret_key: SecretStr = Field(
        SecretStr(DEVELOPMENT_SECRET), description="Signs join links and sessions."
    )
    ice_servers: list[IceServer] = Field(
        default_factory=list,
        description="STUN/TURN servers (JSON list). Empty by default: never a public STUN server.",
    )
    ice_host_addresses: list[str] | None = Field(
        None,
        description='Addresses the relay gathers ICE host candidates on, e.g. ["127.0.0.1"] '
        "for a single-machine demo; unset = all interfaces but loopback (aioice default).",
    )
    announced_address: str | None = Field(
        None, description="Public IP the relay announces in its candidates when behind NAT."
    )
    room_open_lead_minutes: float = Field(
        10,
        ge=0,
        description="A meeting's room opens this long before its slot (a lobby until "
        "a second seat is in).",
    )
    room_end_warning_minutes: float = Field(
        2, ge=0, description="Seats are warned this long before the slot ends."
    )
    room_grace_seconds: float = Field(
        30, ge=0, description="A seat whose connection drops keeps its place this long."
    )
    link_valid_after_end_minutes: float = Field(
        120, ge=0, description="Join links expire this long after their meeting's slot ends."
    )
    ws_join_timeout_seconds: float = Field(
        10, gt=0, description="A seat websocket must send `join` within this time."
    )
    ws_max_message_bytes: int = Field(
        65536, ge=1024, description="Largest signalling message accepted (close 1009 above)."
    )
    ws_messages_per_second: float = Field(
        20, gt=0, description="Sustained signalling messages per second per seat (close 1008)."
    )
    ws_message_burst: int = Field(
        60, ge=1, description="Signalling messages a seat may send at once above the rate."
    )
    board_stats_interval_seconds: float = Field(
        2, gt=0, description="How often the organiser's board feed gets media figures."
    )
    log_level: str = Field("INFO", description="Python logging level.")
    demo: bool = Field(False, description="Create the demo mission at start-up (idempotent).")

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if (
            self.environment == "production"
            and self.secret_key.get_secret_value() == DEVELOPMENT_SECRET
        ):
            raise ValueError(
                "TRADEBOOTH_SECRET_KEY must be set to a secret of your own in production"
            )
        return self

    @cached_property
    def base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")
