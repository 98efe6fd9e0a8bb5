"""Fixtures for end-to-end tests: the store (SQLite file, or a PostgreSQL schema when RECON_TEST_PG_URL is set) and
the loopback Slack fake, with recon pointed at it."""

import pytest

from tests.slack.conftest import TOKEN
from tests.slack.fake_slack import FakeSlack
from tests.store.conftest import db_url, pg_database_url  # noqa: F401 (fixtures)


@pytest.fixture
def slack(monkeypatch):
    # urllib honours *_proxy variables; the fake must be reached directly.
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with FakeSlack(token=TOKEN) as fake:
        monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("RECON_SLACK_BASE_URL", fake.base_url)
        yield fake
