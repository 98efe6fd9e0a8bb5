"""The Slack app against a real store and the fake Slack, served over real HTTP on loopback.

Every test runs on SQLite (a file under tmp_path) and on PostgreSQL (with RECON_TEST_PG_URL, as the store tests).
`posted` is exception 1, open, its parent message posted in #logistics-ops on the fake; `served` is the app for
that home on a free loopback port, its clock fixed at T1; `slack` plays Slack, posting signed interaction payloads.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from dagster_project.home import Home
from dagster_project.outbox_delivery import deliver_outbox
from dagster_project.slack import SlackSender
from dagster_project.slack_app import ReconSlackApp, build_app, choose_mode, make_http_server
from dagster_project.store import Store, open_store, sync_exceptions
from tests.slack.conftest import TOKEN, fake_slack  # noqa: F401  (a fixture)
from tests.slack.fake_slack import FakeMessage, FakeSlack
from tests.slack_app.interactions import SIGNING_SECRET, T1, SlackPoster
from tests.store.conftest import db_url, pg_database_url  # noqa: F401  (fixtures)
from tests.store.rows import T0, clusters_of, divergence

CHANNELS = {"logistics_ops": "#logistics-ops"}


@pytest.fixture
def slack_env(monkeypatch: pytest.MonkeyPatch, fake_slack: FakeSlack, db_url: str) -> None:  # noqa: F811
    """HTTP mode's settings, Slack at the fake, the store at `db_url`."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.delenv("SLACK_APP_TOKEN", raising=False)
    monkeypatch.setenv("RECON_SLACK_BASE_URL", fake_slack.base_url)
    monkeypatch.setenv("RECON_STORE_URL", db_url)


@pytest.fixture
def store(slack_env, db_url: str) -> Store:  # noqa: F811
    store = open_store(db_url)
    yield store
    store.close()


@pytest.fixture
def posted(store: Store, fake_slack: FakeSlack) -> FakeMessage:  # noqa: F811
    """Exception 1, open, with its message in #logistics-ops."""
    rows = [divergence("d1")]
    sync_exceptions(store, rows, clusters_of(rows), T0, channels=CHANNELS)
    report = deliver_outbox(store, SlackSender(TOKEN, base_url=fake_slack.base_url), now=T0)
    assert report.sent == 1
    return fake_slack.messages[0]


@dataclass
class Served:
    app: ReconSlackApp
    url: str

    def settle(self) -> None:
        """Wait for the clicks acknowledged so far to be applied and delivered."""
        assert self.app.wait_idle(timeout=30), "the Slack app's handlers did not finish"


def serve_app(home: Home, clock) -> Iterator[Served]:
    """The Slack app for `home` over real HTTP on a free loopback port, until the generator is closed."""
    app = build_app(home, choose_mode(os.environ), clock=clock)
    server = make_http_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield Served(app, f"http://127.0.0.1:{server.server_port}/slack/events")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        app.close()


@pytest.fixture
def served(home: Home, slack_env, posted: FakeMessage) -> Served:
    yield from serve_app(home, lambda: T1)


@pytest.fixture
def slack(served: Served) -> SlackPoster:
    return SlackPoster(served.url)
