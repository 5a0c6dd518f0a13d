"""Dependencies of the rooms routes: registry, node, link signer, clock, a meeting."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from app.cluster.local import LocalCluster
from app.dependencies import SessionDep
from app.errors import NotFound
from app.meetings.models import Meeting
from app.rooms import service
from rooms.links import LinkSigner
from rooms.registry import RoomRegistry

MeetingId = Annotated[int, Path(gt=0, le=2**31 - 1)]
MissionId = Annotated[int, Path(gt=0, le=2**31 - 1)]


def get_registry(request: Request) -> RoomRegistry:
    registry: RoomRegistry = request.app.state.rooms
    return registry


def get_cluster(request: Request) -> LocalCluster:
    cluster: LocalCluster = request.app.state.cluster
    return cluster


def get_signer(request: Request) -> LinkSigner:
    signer: LinkSigner = request.app.state.link_signer
    return signer


async def get_meeting(meeting_id: MeetingId, session: SessionDep) -> Meeting:
    meeting = await service.get_meeting(session=session, meeting_id=meeting_id)
    if meeting is None:
        raise NotFound(f"meeting {meeting_id} not found", meeting_id=meeting_id)
    return meeting


RegistryDep = Annotated[RoomRegistry, Depends(get_registry)]
ClusterDep = Annotated[LocalCluster, Depends(get_cluster)]
SignerDep = Annotated[LinkSigner, Depends(get_signer)]
MeetingDep = Annotated[Meeting, Depends(get_meeting)]
