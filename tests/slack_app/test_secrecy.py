"""The bot token, the signing secret and the app-level token never show: not in any log (slack-bolt's and
slack-sdk's debug logs included), output, error, HTTP answer or repr, across the app's paths and failures."""

from __future__ import annotations

import logging
import os
import threading

import pytest

from dagster_project.errors import ReconError
from dagster_project.home import Home
from dagster_project.slack_app import build_app, choose_mode, serve_socket_mode
from tests.slack.conftest import TOKEN
from tests.slack.fake_slack import FakeSlack
from tests.slack_app.fake_socket_mode import FakeSocketMode
from tests.slack_app.interactions import SIGNING_SECRET, SlackPoster, button_click, view_submission

APP_TOKEN = "xapp-1-A0FAKEAPP-1234567890-5ec7e7App1evelT0kenValue"
SECRETS = [TOKEN, TOKEN.split("-")[-1], SIGNING_SECRET, APP_TOKEN, APP_TOKEN.split("-")[-1]]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_secrets_never_appear(
    home: Home, served, slack: SlackPoster, fake_slack: FakeSlack, monkeypatch, caplog, capsys
):
    caplog.set_level(logging.DEBUG)  # every logger: recon's, slack_bolt's, slack_sdk's
    for name in ("slack_bolt.App", "slack_bolt.RequestVerification"):  # Bolt copied the root's level at start
        caplog.set_level(logging.DEBUG, logger=name)
    seen: list[str] = [repr(served.app.settings), repr(served.app.runner.sender)]

    def post(*args, **kwargs) -> None:
        seen.append(repr(slack.post(*args, **kwargs)))
        served.settle()

    post(button_click("recon_ack", "1"))  # accepted, delivered
    post(button_click("recon_ack", "1"))  # refused: ephemeral
    post(button_click("recon_ack", "1"), signed=False)  # 401s
    post(button_click("recon_ack", "1"), secret="f" * 32)
    post(button_click("recon_resolve", "1"))  # a modal
    post(view_submission(fake_slack.views[0].view, ""))  # a field error
    fake_slack.set_auth_error("invalid_auth")
    post(view_submission(fake_slack.views[0].view, "fixed"))  # resolved, delivery refused
    fake_slack.clear_faults()

    # Start-up failures: a refused bot token, a refused app token; and Socket Mode connected.
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN + "-revoked")
    with pytest.raises(ReconError) as refused:
        build_app(home, choose_mode(os.environ))
    seen.append(str(refused.value))
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_APP_TOKEN", APP_TOKEN)
    app = build_app(home, choose_mode(os.environ))
    try:
        with pytest.raises(ReconError) as refused:
            serve_socket_mode(app)  # the fake knows another app token
        seen.append(str(refused.value))
        fake_slack.app_token = APP_TOKEN
        stop = threading.Event()
        with FakeSocketMode() as websocket:
            fake_slack.socket_mode_url = websocket.url
            thread = threading.Thread(target=serve_socket_mode, args=(app, stop))
            thread.start()
            assert websocket.wait_connected()
            envelope = websocket.send_envelope(button_click("recon_ack", "99"))
            seen.append(repr(websocket.wait_ack(envelope)))
            app.wait_idle(timeout=30)
            stop.set()
            thread.join(timeout=10)
    finally:
        app.close()

    captured = capsys.readouterr()
    everything = "\n".join([caplog.text, captured.out, captured.err, *seen])
    assert "Sending a request" in caplog.text  # slack-sdk's debug logging was on, and was looked at
    assert "Invalid request signature detected" in caplog.text  # and slack-bolt's
    for secret in SECRETS:
        assert secret not in everything
    # Nor Bolt's misleading start-up warning that the token is unused (the client carries it).
    assert "will be unused" not in caplog.text
