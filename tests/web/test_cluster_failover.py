"""Two Chromium seats of one meeting on a cluster of two nodes: the web client connects to the
room's node that the join response names; when that node is killed, it reconnects through the
service's entry by itself, is sent on to the room's new node, and media flows again."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Playwright

from tests.cluster.conftest import meetings, start_cluster
from tests.conftest import _off_loop, create_postgres_database, drop_postgres_database, migrate
from tests.live import LiveCluster
from tests.waiting import wait_until
from tests.web.browser import launch
from tests.web.seats import join_call

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

# Frames decoded per remote seat, from the page's own RTCPeerConnection (0 without one).
FRAMES_JS = """async () => {
  const s = window.tbCall;
  if (!s || !s.pc) return {};
  const out = {};
  (await s.pc.getStats()).forEach((r) => {
    const info = r.type === "inbound-rtp" && r.kind === "video" && s.remote.get(r.mid);
    if (info) out[info.seat] = r.framesDecoded || 0;
  });
  return out;
}"""


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[LiveCluster]:
    url = create_postgres_database()
    try:
        migrate(url)
        live = start_cluster(url, tmp_path)
        try:
            yield live
        finally:
            live.stop()
    finally:
        drop_postgres_database(url)


def _frames(page: Page, seat: str) -> int:
    found: dict[str, int] = page.evaluate(FRAMES_JS)
    return found.get(seat, 0)


def _decoding(page: Page, seat: str, timeout: float) -> None:
    """Frames from `seat` are decoded, and keep coming."""
    first = wait_until(lambda: _frames(page, seat), timeout, f"frames from {seat}")
    wait_until(lambda: _frames(page, seat) > first + 10, timeout, f"more frames from {seat}")


def test_the_web_client_follows_its_room_to_the_surviving_node(
    cluster: LiveCluster, playwright: Playwright, tmp_path: Path
) -> None:
    (meeting,) = _off_loop(asyncio.run, meetings(cluster.database_url, 1, ("company", "buyer")))
    pages: dict[str, Page] = {}
    contexts = []
    try:
        for seat in ("company", "buyer"):
            context, _console = launch(playwright, tmp_path / seat)
            contexts.append(context)
            page = context.new_page()
            page.on("dialog", lambda dialog: dialog.accept())
            # The link is the entry's (any node); its join response names the room's node.
            join_call(page, f"{cluster.base_url}/join#{meeting.tokens[seat]}", "en")
            pages[seat] = page
        home = cluster.node_of(meeting.meeting_id)
        assert home is not None
        survivor = next(node for node in cluster.nodes if node.name != home)
        for seat, other in (("company", "buyer"), ("buyer", "company")):
            url = pages[seat].evaluate("window.tbCall.ws.url")
            assert url.startswith(cluster[home].node_ws_url), url
            _decoding(pages[seat], other, 30)

        killed_at = time.monotonic()
        cluster[home].kill()
        wait_until(
            lambda: cluster.node_of(meeting.meeting_id) == survivor.name, 30, "the room moved"
        )
        for seat, other in (("company", "buyer"), ("buyer", "company")):
            _decoding(pages[seat], other, 40)
            assert pages[seat].evaluate("window.tbCall.state") == "connected"
            assert pages[seat].evaluate("window.tbCall.drops.length") >= 1
        took = time.monotonic() - killed_at
        assert took < 60, took
    finally:
        for context in contexts:
            context.close()
    assert not survivor.exceptions(), survivor.log.read_text()[-3000:]
