"""The one place configuration is read: TRADEBOOTH_* environment variables."""

from __future__ import annotations

import socket
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class IceServer(BaseModel):
    """One STUN/TURN server handed to aiortc and to the browser (RTCIceServer)."""

    urls: list[str]
    username: str | None = None
    credential: str | None = None


class Settings(BaseSettings):
    """Service settings. Built once in `create_app(settings)` and injected from there."""

    model_config = SettingsConfigDict(env_prefix="TRADEBOOTH_", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        "development",
        description="`production` refuses to start without a secret key of its own.",
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
    secret_key: SecretStr | None = Field(
        None,
        description="Signs seat and booth links. Unset: a random key made on first start and "
        "kept in secret_key_file (never in production).",
    )
    secret_key_file: Path | None = Field(
        None,
        description="Where a generated secret key is kept; default: beside the SQLite "
        "database, or var/secret_key.",
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
    room_silent_channel_seconds: float = Field(
        2,
        gt=0,
        description="A language channel whose interpreter has been quiet this long is "
        "silent: listeners with the fallback on hear the floor at full level.",
    )
    link_valid_after_end_minutes: float = Field(
        120, ge=0, description="Join links expire this long after their meeting's slot ends."
    )
    ws_join_timeout_seconds: float = Field(
        10, gt=0, description="A seat websocket must send `join` within this time."
    )
    http_keep_alive_seconds: float = Field(
        65,
        gt=0,
        description="An idle HTTP connection stays open this long. Longer than a load "
        "balancer's idle timeout (60 s is common), so that no client or balancer reuses a "
        "connection the service is closing at that moment (uvicorn's own default is 5 s).",
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
    api_rate_per_second: float = Field(
        30,
        gt=0,
        description="Sustained HTTP requests per second per client address (429 above).",
    )
    api_rate_burst: int = Field(
        300, ge=1, description="HTTP requests a client address may send at once above the rate."
    )
    max_request_body_bytes: int = Field(
        4 * 1024 * 1024,
        ge=1024,
        description="Largest HTTP request body accepted (413 above).",
    )
    board_stats_interval_seconds: float = Field(
        2, gt=0, description="How often the organiser's board feed gets media figures."
    )
    turn_urls: list[str] = Field(
        default_factory=list,
        description="TURN server URLs (JSON list), e.g. "
        '["turn:turn.example.org:3478?transport=udp"]; each seat gets time-limited '
        "credentials for them (coturn use-auth-secret).",
    )
    turn_secret: SecretStr | None = Field(
        None, description="coturn's static-auth-secret; needed when turn_urls is set."
    )
    turn_credential_ttl_seconds: int = Field(
        4 * 3600,
        ge=60,
        le=7 * 24 * 3600,
        description="How long a seat's TURN credential allocates and refreshes: cover a slot, "
        "its extensions and reconnects.",
    )
    session_hours: float = Field(
        12, gt=0, le=24 * 30, description="A console sign-in lasts at most this long."
    )
    session_idle_minutes: float = Field(
        60, gt=0, description="A console session unused this long is over."
    )
    session_cookie_secure: bool | None = Field(
        None,
        description="Mark the session cookies Secure; unset = when the public base URL is https "
        "or in production.",
    )
    sign_in_max_failures: int = Field(
        5, ge=1, description="Failed sign-ins for one account within the window that lock it."
    )
    sign_in_max_failures_per_ip: int = Field(
        20, ge=1, description="Failed sign-ins from one client address within the window."
    )
    sign_in_window_minutes: float = Field(
        15, gt=0, description="The window failed sign-ins are counted over (the lock-out time)."
    )
    kiosk_join_lead_seconds: float = Field(
        60,
        ge=0,
        description="A booth kiosk joins each meeting this long before its slot (a booth link "
        "may set its own).",
    )
    reminder_minutes: float = Field(
        5,
        ge=0,
        description="A reminder this long before each meeting: on the booth kiosks, and as an "
        "alarm in the agendas' calendar (ICS) files; 0 = none.",
    )
    no_show_after_minutes: float = Field(
        5,
        ge=0,
        description="A seat still not in the room this long after its slot started is flagged "
        "on the organiser's board.",
    )
    attendance_check_seconds: float = Field(
        10, gt=0, description="How often running slots are checked for missing seats."
    )
    redis_url: str | None = Field(
        None,
        description="Redis (redis://host:6379/0): set, this process is one node of a cluster "
        "(placement, live events and limits through Redis); unset, one process on its own.",
    )
    redis_prefix: str = Field(
        "tradebooth", min_length=1, description="Prefix of every Redis key and channel."
    )
    node_id: str | None = Field(
        None, description="This node's name in the cluster; default: host name and node port."
    )
    node_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="This node's own HTTP port, besides PORT (the entry every node serves, e.g. "
        "behind a load balancer); its seats' websockets come here.",
    )
    node_url: str | None = Field(
        None,
        description="The base URL at which seats reach this node (http(s)://...); default: "
        "http://HOST:NODE_PORT. Join responses and redirects send the room's seats there.",
    )
    node_max_rooms: int = Field(
        0, ge=0, description="Hard limit of open rooms on this node (0: no room limit)."
    )
    node_max_cpu: float = Field(
        0,
        ge=0,
        description="No new room on this node while its process would use more than this "
        "share of a core (the last interval, plus one room's share), e.g. 0.85 on a node of "
        "its own; 0: no CPU limit.",
    )
    node_heartbeat_seconds: float = Field(
        1.0, gt=0, description="How often a node reports its load and renews its rooms."
    )
    node_dead_after_seconds: float = Field(
        3.0,
        gt=0,
        description="A node not heard from for this long is dead: its meetings are placed "
        "again when their seats reconnect.",
    )
    node_reservation_seconds: float = Field(
        30.0,
        gt=0,
        description="How long a meeting placed by a join request holds its node before its "
        "room opens.",
    )
    admission_retry_after_seconds: int = Field(
        15, ge=1, description="Retry-After of a join refused because every node is full."
    )
    log_level: str = Field("INFO", description="Python logging level.")
    demo: bool = Field(False, description="Create the demo mission at start-up (idempotent).")

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment == "production" and (
            self.secret_key is None or len(self.secret_key.get_secret_value()) < 32
        ):
            raise ValueError(
                "TRADEBOOTH_SECRET_KEY must be set to a secret of your own (32 characters or "
                "more) in production"
            )
        if self.redis_url and self.secret_key is None:
            # Every node signs and checks the same seat links: a key made by one node's
            # first start would be another node's stranger.
            raise ValueError(
                "TRADEBOOTH_SECRET_KEY must be set in a cluster (TRADEBOOTH_REDIS_URL is)"
            )
        if self.node_dead_after_seconds <= self.node_heartbeat_seconds:
            raise ValueError(
                "TRADEBOOTH_NODE_DEAD_AFTER_SECONDS must be longer than the heartbeat interval"
            )
        if self.turn_urls and self.turn_secret is None:
            raise ValueError("TRADEBOOTH_TURN_SECRET must be set when TRADEBOOTH_TURN_URLS is")
        return self

    @property
    def signing_key(self) -> str:
        """The secret key; app/secret.py `with_secret_key` fills it in when unset."""
        if self.secret_key is None:
            raise RuntimeError("no secret key: build the settings with app.secret.with_secret_key")
        return self.secret_key.get_secret_value()

    @cached_property
    def base_url(self) -> str:
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @cached_property
    def node_base_url(self) -> str:
        """Where seats reach this node itself (the entry's URL when it has no port of its own)."""
        if self.node_url:
            return self.node_url.rstrip("/")
        if self.node_port is not None:
            host = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(self.host, self.host)
            return f"http://{host}:{self.node_port}"
        return self.base_url

    @cached_property
    def node_name(self) -> str:
        return self.node_id or f"{socket.gethostname()}-{self.node_port or self.port}"

    @cached_property
    def cookies_secure(self) -> bool:
        if self.session_cookie_secure is not None:
            return self.session_cookie_secure
        return self.environment == "production" or self.base_url.startswith("https://")
