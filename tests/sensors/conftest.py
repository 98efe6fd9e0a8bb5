"""Fixtures for the sensor tests: a home whose store is SQLite or PostgreSQL (the store tests' `db_url`), the
loopback fake Slack that `SLACK_BOT_TOKEN` / `RECON_SLACK_BASE_URL` point the sensors at, and a persistent
Dagster instance on disk (SQLite, one event database per run: what the home's `dagster/` instance is)."""

from __future__ import annotations

import dagster as dg
import pytest

from dagster_project.defs.resources import ReconResource
from dagster_project.home import STORE_URL_ENV, Home
from dagster_project.slack.settings import BASE_URL_ENV, TOKEN_ENV
from dagster_project.store import Store, open_store
from tests.slack.fake_slack import DEFAULT_CHANNELS, FakeSlack
from tests.store.conftest import db_url, pg_database_url  # noqa: F401 (fixtures, shared with the store tests)

TOKEN = "xoxb-1111111111-2222222222-SensorT0kenValue"
CHANNELS = {**DEFAULT_CHANNELS, "C0DATAPLAT": "data-platform", "C0DIRECTOR": "ops-director"}


@pytest.fixture
def recon_home(home: Home, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Home:  # noqa: F811
    """The home, its store at `db_url` (through RECON_STORE_URL, as in production with PostgreSQL)."""
    monkeypatch.setenv(STORE_URL_ENV, db_url)
    return home


@pytest.fixture
def store(recon_home: Home) -> Store:
    with open_store(recon_home.store_url) as store:
        yield store


@pytest.fixture
def recon(recon_home: Home) -> ReconResource:
    return ReconResource(home=str(recon_home.root))


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch):
    """The fake Slack, with the data team's channel and a second escalation channel; the sensors' senders use it."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with FakeSlack(token=TOKEN, channels=CHANNELS) as fake:
        monkeypatch.setenv(TOKEN_ENV, TOKEN)
        monkeypatch.setenv(BASE_URL_ENV, fake.base_url)
        yield fake


@pytest.fixture
def instance(home: Home):
    """In the home's `dagster/` folder, where `recon run` keeps its instance."""
    with dg.instance_for_test(temp_dir=str(home.dagster_home)) as instance:
        yield instance
