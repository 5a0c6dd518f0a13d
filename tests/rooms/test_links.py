"""Seat links over HTTP: issue, re-issue, revoke, and the join details a token gives."""

from __future__ import annotations

from datetime import timedelta

from rooms.links import LinkClaims, LinkSigner
from rooms.seats import Seat
from tests.rooms.conftest import LiveServer, create_meeting, issue_links


async def test_links_are_issued_per_seat_and_reissue_stops_the_old_one(
    live_server: LiveServer,
) -> None:
    rows = await create_meeting(live_server)
    response = await live_server.http.post(f"/api/v1/meetings/{rows.meeting_id}/links", json={})
    assert response.status_code == 201, response.text
    links = {link["seat"]: link for link in response.json()}
    assert set(links) == {"company", "buyer", "interpreter", "organiser"}
    assert links["buyer"]["url"] == f"{live_server.base_url}/join#{links['buyer']['token']}"

    details = await live_server.http.post("/api/v1/join", json={"token": links["buyer"]["token"]})
    assert details.status_code == 200, details.text
    body = details.json()
    assert body["seat"] == "buyer"
    assert body["meeting_id"] == rows.meeting_id
    assert body["buyer"] == {"name": "Almaty Trade", "country": "KZ", "city": ""}
    assert body["websocket_url"] == f"{live_server.ws_url}/ws/rooms/{rows.meeting_id}"
    assert body["ice_servers"] == []

    again = await issue_links(live_server, rows.meeting_id, seats=["buyer"])
    old = await live_server.http.post("/api/v1/join", json={"token": links["buyer"]["token"]})
    assert (old.status_code, old.json()["code"]) == (403, "link_revoked")
    new = await live_server.http.post("/api/v1/join", json={"token": again["buyer"]})
    assert new.status_code == 200
    # The other seats' links are untouched by the buyer's re-issue.
    company = await live_server.http.post("/api/v1/join", json={"token": links["company"]["token"]})
    assert company.status_code == 200

    revoked = await live_server.http.delete(f"/api/v1/meetings/{rows.meeting_id}/links/buyer")
    assert revoked.status_code == 204
    after = await live_server.http.post("/api/v1/join", json={"token": again["buyer"]})
    assert after.json()["code"] == "link_revoked"
    listed = await live_server.http.get(f"/api/v1/meetings/{rows.meeting_id}/links")
    buyer = next(link for link in listed.json() if link["seat"] == "buyer")
    assert buyer["revoked"] is True and buyer["token"] is None


async def test_a_meeting_without_interpreter_has_no_interpreter_seat(
    live_server: LiveServer,
) -> None:
    rows = await create_meeting(live_server, interpreter=False)
    links = await issue_links(live_server, rows.meeting_id)
    assert set(links) == {"company", "buyer", "organiser"}
    response = await live_server.http.post(
        f"/api/v1/meetings/{rows.meeting_id}/links", json={"seats": ["interpreter"]}
    )
    assert response.status_code == 404


async def test_forged_expired_and_garbage_tokens_are_refused(live_server: LiveServer) -> None:
    rows = await create_meeting(live_server)
    links = await issue_links(live_server, rows.meeting_id)
    now = live_server.clock.now()
    forged = LinkSigner("not-the-service-secret").sign(
        LinkClaims(rows.meeting_id, Seat.ORGANISER, 1, now + timedelta(days=1))
    )
    tampered = links["buyer"][:-2] + ("AA" if not links["buyer"].endswith("AA") else "BB")
    for token in (forged, tampered, "x", "a.b.c"):
        response = await live_server.http.post("/api/v1/join", json={"token": token})
        assert (response.status_code, response.json()["code"]) == (403, "link_invalid"), token

    expired = await issue_links(
        live_server,
        rows.meeting_id,
        seats=["company"],
        expires_at=(now + timedelta(minutes=5)).isoformat(),
    )
    await live_server.clock.advance(timedelta(minutes=6))
    response = await live_server.http.post("/api/v1/join", json={"token": expired["company"]})
    assert (response.status_code, response.json()["code"]) == (403, "link_expired")


async def test_links_of_an_unknown_meeting_are_404(live_server: LiveServer) -> None:
    response = await live_server.http.post("/api/v1/meetings/999999/links", json={})
    assert response.status_code == 404
