"""`python -m app` (`make run`): migrate, ensure the demo mission, print where to click, serve."""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI
from starlette.routing import Match

from app.auth.service import DEMO_ADMIN_EMAIL, reset_demo_admin
from app.clock import SYSTEM_CLOCK, tolerate_libfaketime
from app.database import create_engine, create_sessionmaker
from app.demo import TryNow, ensure_demo_mission, ensure_meeting_open_now
from app.demo_results import ensure_finished_mission
from app.main import create_app
from app.migrations import upgrade
from app.missions.models import Mission
from app.nodes import migration_turn, redacted, serve_node, supervise, uvicorn_config
from app.secret import with_secret_key
from app.settings import Settings
from rooms.clock import Clock

logger = logging.getLogger("app")

# Pages worth opening, printed when the app serves them ({mission} = the demo mission's id).
PAGES = (
    ("Home", "/"),
    ("Missions", "/missions"),
    ("Demo mission", "/missions/{mission}"),
    ("Demo schedule", "/missions/{mission}/schedule"),
    ("Demo live board", "/missions/{mission}/board"),
    ("Demo results", "/missions/{mission}/results"),
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m app",
        description="Run TradeBooth: migrate the database, create the demo mission, serve HTTP.",
    )
    parser.add_argument(
        "--demo",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Create the demo mission if it is missing (default: on, unless TRADEBOOTH_DEMO "
        "says otherwise). It is created once; later runs find it.",
    )
    parser.add_argument(
        "--nodes",
        type=int,
        default=0,
        metavar="N",
        help="Run N node processes of a cluster on this machine (one per core; needs "
        "TRADEBOOTH_REDIS_URL): every node serves PORT, node i also PORT+i for its seats. "
        "A node that exits is started again. docs/deploy.md.",
    )
    parser.add_argument(
        "--migrate",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Migrate the database before serving (default: on; nodes of a cluster take turns).",
    )
    parser.add_argument(
        "--front-fd",
        type=int,
        default=None,
        metavar="FD",
        help="Serve PORT on this inherited listening socket, shared with the other nodes of "
        "this machine (set by --nodes and by tests; not for hand use).",
    )
    return parser.parse_args(argv)


def wants_demo(settings: Settings, flag: bool | None) -> bool:
    """The flag wins; then TRADEBOOTH_DEMO if set; else on, for the quick start."""
    if flag is not None:
        return flag
    return settings.demo if "demo" in settings.model_fields_set else True


@dataclass(frozen=True, slots=True)
class DemoSignIn:
    email: str
    password: str  # new at every start, printed once, never stored in clear


@dataclass(frozen=True, slots=True)
class Demo:
    mission: Mission
    try_now: TryNow
    sign_in: DemoSignIn | None  # None in production: no account with a printed password
    finished: Mission | None = None  # a past mission with its results (app/demo_results.py)


async def _ensure_demo(settings: Settings, base_url: str, clock: Clock) -> Demo:
    engine = create_engine(settings.database_url)
    try:
        sessionmaker = create_sessionmaker(engine)
        now = clock.now()
        mission = await ensure_demo_mission(sessionmaker, now=now)
        finished = (await ensure_finished_mission(sessionmaker, now=now)).mission
        try_now = await ensure_meeting_open_now(
            sessionmaker,
            mission=mission,
            base_url=base_url,
            secret_key=settings.signing_key,
            now=now,
        )
        sign_in = None
        if settings.environment != "production":
            # A one-time password per start: the demo console is usable at once, and no
            # password is known in advance to anyone who did not see this terminal.
            password = secrets.token_urlsafe(12)
            async with sessionmaker() as session:
                await reset_demo_admin(session=session, password=password, now=now)
            sign_in = DemoSignIn(DEMO_ADMIN_EMAIL, password)
        return Demo(mission, try_now, sign_in, finished)
    finally:
        await engine.dispose()


LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def with_loopback_media(settings: Settings) -> Settings:
    """Serving on loopback only: keep the relay's ICE candidates on loopback too.

    Otherwise aioice would gather this machine's other addresses, which a loopback-only
    service has no business announcing.
    """
    if settings.host in LOOPBACK_HOSTS and settings.ice_host_addresses is None:
        return settings.model_copy(update={"ice_host_addresses": ["127.0.0.1"]})
    return settings


def _serves(app: FastAPI, path: str) -> bool:
    scope = {"type": "http", "method": "GET", "path": path, "root_path": "", "headers": []}
    return any(route.matches(scope)[0] is Match.FULL for route in app.router.routes)


def links(app: FastAPI, base_url: str, mission: Mission | None) -> list[tuple[str, str]]:
    found = [
        ("API documentation", f"{base_url}/docs"),
        ("Missions (JSON)", f"{base_url}/api/v1/missions"),
    ]
    if mission is not None:
        found.append(
            ("Demo schedule (JSON)", f"{base_url}/api/v1/missions/{mission.id}/meetings")
        )
    for label, template in PAGES:
        if "{mission}" in template and mission is None:
            continue
        path = template.format(mission=mission.id if mission else "")
        if _serves(app, path):
            found.append((label, f"{base_url}{path}"))
    return found


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    tolerate_libfaketime()
    settings = with_secret_key(Settings())  # refuses production without a key of its own
    clock = SYSTEM_CLOCK
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.nodes and not settings.redis_url:
        sys.exit(
            "python -m app --nodes: the nodes share their rooms through Redis; set "
            "TRADEBOOTH_REDIS_URL (docs/deploy.md)"
        )
    if args.migrate:
        logger.info("migrating %s", settings.database_url)
        with migration_turn(settings):  # nodes started together migrate one at a time
            upgrade(settings.database_url)  # synchronous: before any event loop runs
    settings = with_loopback_media(settings)
    # A wildcard bind address is not something to click: show loopback instead.
    host = {"0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(settings.host, settings.host)
    base_url = settings.public_base_url or f"http://{host}:{settings.port}"
    demo = None
    if wants_demo(settings, args.demo):
        demo = asyncio.run(_ensure_demo(settings, base_url, clock))
    mission, try_now = (demo.mission, demo.try_now) if demo else (None, None)
    app = create_app(settings, clock=clock)

    lines = [f"TradeBooth is starting on {base_url}"]
    if demo is not None and demo.sign_in is not None:
        lines.append(
            f"Sign in at {base_url}/sign-in as {demo.sign_in.email} with the one-time password "
            f"{demo.sign_in.password} (a new one at every start)"
        )
    else:
        lines.append(
            f"Sign in at {base_url}/sign-in with an account made by "
            "`python -m app.auth create-admin --email you@example.org`"
        )
    if mission is not None:
        lines.append(f'Demo mission {mission.id}: "{mission.name}"')
    lines += [f"  {label:<22} {url}" for label, url in links(app, base_url, mission)]
    if demo is not None and demo.finished is not None:
        lines.append(
            f'A finished mission, "{demo.finished.name}": its results at '
            f"{base_url}/missions/{demo.finished.id}/results"
        )
    if try_now is not None:
        lines.append(
            f"Try a call now: demo meeting {try_now.meeting.id} is open until "
            f"{try_now.meeting.ends_at:%H:%M} UTC. Open each seat in its own browser window:"
        )
        lines += [f"  Join as {seat:<16} {url}" for seat, url in try_now.links.items()]
        if try_now.kiosk:
            lines.append(
                "Or open the booth's screen instead of the company link (it joins by itself):"
            )
            lines.append(f"  Booth screen          {try_now.kiosk}")
    if args.nodes:
        lines.append(f"{args.nodes} nodes (Redis {redacted(settings.redis_url or '')}):")
        lines += [
            f"  Node {index:<18} port {settings.port + index}" for index in range(1, args.nodes + 1)
        ]
        print("\n".join(lines), flush=True)
        sys.exit(supervise(settings, args.nodes))
    if settings.redis_url:
        node_line = (
            f"Node {settings.node_name} of a cluster (Redis {redacted(settings.redis_url)}); "
            f"its rooms' seats connect to {settings.node_base_url}"
        )
        # A node of `--nodes`: its supervisor printed where to click.
        lines = [node_line] if args.front_fd is not None else [*lines, node_line]
    print("\n".join(lines), flush=True)

    if settings.node_port is not None or args.front_fd is not None:
        serve_node(app, settings, front_fd=args.front_fd)
        return
    uvicorn.Server(uvicorn_config(app, settings)).run()


if __name__ == "__main__":
    main(sys.argv[1:])
