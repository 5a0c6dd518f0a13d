"""`python -m app.auth create-admin --email ...`: the first admin (and other users) from a shell.

The password is read from standard input (`--password-stdin`) or asked for without echo; it
is never an argument, so it stays out of shell history and the process list.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Sequence

from app.auth import service
from app.auth.exceptions import UserEmailTaken
from app.auth.models import UserRole
from app.auth.passwords import MAX_LENGTH, MIN_LENGTH
from app.database import create_engine, create_sessionmaker
from app.errors import AppError
from app.migrations import upgrade
from app.settings import Settings


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m app.auth", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("create-admin", "Create an admin account."),
        ("create-user", "Create an organiser or viewer of one organisation."),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--email", required=True)
        command.add_argument("--name", default="")
        command.add_argument("--password-stdin", action="store_true")
        if name == "create-user":
            command.add_argument(
                "--role",
                choices=[UserRole.ORGANISER.value, UserRole.VIEWER.value],
                required=True,
            )
            command.add_argument("--organisation-id", type=int, required=True)
            command.add_argument("--mission-id", type=int, action="append", default=[])
    return parser.parse_args(argv)


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("the passwords differ")
    return first


async def create(settings: Settings, args: argparse.Namespace, password: str) -> int:
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            admin = args.command == "create-admin"
            user = await service.create_user(
                session=session,
                email=args.email,
                name=args.name or args.email,
                password=password,
                role=UserRole.ADMIN if admin else UserRole(args.role),
                organisation_id=None if admin else args.organisation_id,
                mission_ids=None if admin else args.mission_id,
            )
            return user.id
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = Settings()
    password = read_password(args.password_stdin)
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        print(f"a password has {MIN_LENGTH} to {MAX_LENGTH} characters", file=sys.stderr)
        return 2
    upgrade(settings.database_url)
    try:
        user_id = asyncio.run(create(settings, args, password))
    except UserEmailTaken:
        print(f"a user with email {args.email} exists already", file=sys.stderr)
        return 1
    except (AppError, ValueError) as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"user {user_id} created: {args.email}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
