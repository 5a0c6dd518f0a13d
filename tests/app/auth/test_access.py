"""Roles and missions: who sees which missions, and the dependencies routers will use."""

from __future__ import annotations

from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.dependencies import CurrentUser, require_mission_access, require_role
from app.auth.models import UserRole
from app.auth.service import can_change_mission, visible_missions
from app.missions.models import Mission
from tests import factories
from tests.app.auth.conftest import AppFactory, make_user, sign_in


async def test_visible_missions_follow_the_organisation(session: AsyncSession) -> None:
    home, other = await factories.organisation(session), await factories.organisation(session)
    ours = [await factories.mission(session, organisation_=home) for _ in range(2)]
    theirs = await factories.mission(session, organisation_=other)
    organiser = await make_user(session, role=UserRole.ORGANISER, organisation_id=home.id)
    viewer = await make_user(session, role=UserRole.VIEWER, organisation_id=home.id)
    admin = await make_user(session, role=UserRole.ADMIN)

    def ids(missions: list[Mission]) -> set[int]:
        return {m.id for m in missions}

    assert ids(await visible_missions(session=session, user=organiser)) == ids(ours)
    assert ids(await visible_missions(session=session, user=viewer)) == ids(ours)
    assert ids(ours) | {theirs.id} <= ids(await visible_missions(session=session, user=admin))


async def test_an_organiser_changes_only_the_missions_they_organise(
    session: AsyncSession,
) -> None:
    home = await factories.organisation(session)
    organised = await factories.mission(session, organisation_=home)
    other = await factories.mission(session, organisation_=home)
    organiser = await make_user(
        session, role=UserRole.ORGANISER, organisation_id=home.id, mission_ids=[organised.id]
    )
    viewer = await make_user(
        session, role=UserRole.VIEWER, organisation_id=home.id, mission_ids=[organised.id]
    )
    assert await can_change_mission(session=session, user=organiser, mission=organised)
    assert not await can_change_mission(session=session, user=organiser, mission=other)
    assert not await can_change_mission(session=session, user=viewer, mission=organised)


def _routes(app: FastAPI) -> None:
    router = APIRouter(prefix="/probe")

    @router.get("/me")
    async def me(user: CurrentUser) -> dict[str, str]:
        return {"email": user.email}

    @router.get("/admin", dependencies=[Depends(require_role(UserRole.ADMIN))])
    async def admin_only() -> dict[str, bool]:
        return {"ok": True}

    @router.get("/missions/{mission_id}")
    async def read(
        mission: Annotated[Mission, Depends(require_mission_access())],
    ) -> dict[str, int]:
        return {"id": mission.id}

    @router.patch("/missions/{mission_id}")
    async def change(
        mission: Annotated[Mission, Depends(require_mission_access(write=True))],
    ) -> dict[str, int]:
        return {"id": mission.id}

    app.include_router(router)


@pytest.fixture
def extra_routes() -> list[AppFactory]:
    return [_routes]


async def test_dependencies_answer_401_403_404_as_planned(
    auth_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    home, other = await factories.organisation(session), await factories.organisation(session)
    organised = await factories.mission(session, organisation_=home)
    unorganised = await factories.mission(session, organisation_=home)
    foreign = await factories.mission(session, organisation_=other)
    organiser = await make_user(
        session, role=UserRole.ORGANISER, organisation_id=home.id, mission_ids=[organised.id]
    )

    assert (await auth_client.get("/probe/me")).status_code == 401
    assert (await auth_client.get(f"/probe/missions/{organised.id}")).status_code == 401

    csrf = await sign_in(auth_client, organiser.email)
    write = {"X-CSRF-Token": csrf}
    assert (await auth_client.get("/probe/admin")).status_code == 403
    assert (await auth_client.get(f"/probe/missions/{organised.id}")).status_code == 200
    assert (await auth_client.get(f"/probe/missions/{unorganised.id}")).status_code == 200
    # Another organisation's mission does not exist, as far as this user can tell.
    hidden = await auth_client.get(f"/probe/missions/{foreign.id}")
    missing = await auth_client.get("/probe/missions/2147483646")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"] == missing.json()["detail"].replace(
        "2147483646", str(foreign.id)
    )

    assert (await auth_client.patch(f"/probe/missions/{organised.id}")).status_code == 403  # CSRF
    changed = await auth_client.patch(f"/probe/missions/{organised.id}", headers=write)
    assert changed.status_code == 200
    refused = await auth_client.patch(f"/probe/missions/{unorganised.id}", headers=write)
    assert refused.status_code == 403
    foreign_write = await auth_client.patch(f"/probe/missions/{foreign.id}", headers=write)
    assert foreign_write.status_code == 404


async def test_an_admin_passes_every_check(
    auth_client: httpx.AsyncClient, session: AsyncSession
) -> None:
    mission = await factories.mission(session)
    admin = await make_user(session, role=UserRole.ADMIN)
    csrf = await sign_in(auth_client, admin.email)
    assert (await auth_client.get("/probe/admin")).status_code == 200
    response = await auth_client.patch(
        f"/probe/missions/{mission.id}", headers={"X-CSRF-Token": csrf}
    )
    assert response.status_code == 200
