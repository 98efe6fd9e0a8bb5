"""Start-up: the bot token checked before anything is opened, a port in use, Socket Mode over a real WebSocket."""

from __future__ import annotations

import os
import socket
import threading

import pytest

from dagster_project.errors import ReconError
from dagster_project.home import Home
from dagster_project.slack_app import build_app, choose_mode, make_http_server, serve_socket_mode
from tests.slack.fake_slack import FakeMessage, FakeSlack
from tests.slack_app.fake_socket_mode import FakeSocketMode
from tests.slack_app.interactions import T1, button_click, view_submission
from tests.slack_app.test_signed_requests import OPENED, outbox_status, status_field
from tests.store.rows import audit, exception


def test_a_refused_bot_token_stops_the_start_before_the_store_is_opened(
    home: Home, monkeypatch: pytest.MonkeyPatch, fake_slack: FakeSlack
):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-not-the-right-one")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "some-secret")
    monkeypatch.setenv("RECON_SLACK_BASE_URL", fake_slack.base_url)
    monkeypatch.delenv("RECON_STORE_URL", raising=False)

    with pytest.raises(ReconError) as raised:
        build_app(home, choose_mode(os.environ))

    assert str(raised.value) == (
        "SLACK_BOT_TOKEN is invalid or revoked (invalid_auth): set a valid bot token (xoxb-...) in the environment"
    )
    assert [(c.method, c.error) for c in fake_slack.calls] == [("auth.test", "invalid_auth")]
    assert not (home.root / "store.sqlite").exists()


def test_a_port_in_use_is_a_clear_error(served):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(ReconError) as raised:
            make_http_server(served.app, "127.0.0.1", port)
    assert str(raised.value) == (
        f"cannot listen on 127.0.0.1 port {port} (Address already in use): choose another --host or --port"
    )


def test_a_refused_app_token_stops_socket_mode(home: Home, slack_env, monkeypatch, fake_slack: FakeSlack):
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-not-the-right-one")
    app = build_app(home, choose_mode(os.environ))
    try:
        with pytest.raises(ReconError) as raised:
            serve_socket_mode(app)
    finally:
        app.close()
    assert str(raised.value) == (
        "Slack refused SLACK_APP_TOKEN (invalid_auth): set an app-level token (xapp-...) with the connections:write "
        "scope, and enable Socket Mode in the app"
    )
    assert fake_slack.calls_to("apps.connections.open")[-1].error == "invalid_auth"


def test_socket_mode_serves_the_buttons_over_the_websocket(
    home: Home, slack_env, posted: FakeMessage, store, fake_slack: FakeSlack, monkeypatch
):
    # Socket Mode needs no signing secret: requests come over the app's own connection.
    monkeypatch.setenv("SLACK_APP_TOKEN", fake_slack.app_token)
    monkeypatch.delenv("SLACK_SIGNING_SECRET")
    app = build_app(home, choose_mode(os.environ), clock=lambda: T1)
    stop, failures = threading.Event(), []

    def serve() -> None:
        try:
            serve_socket_mode(app, stop)
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    with FakeSocketMode() as websocket:
        fake_slack.socket_mode_url = websocket.url
        thread = threading.Thread(target=serve, name="socket-mode-app")
        thread.start()
        try:
            assert websocket.wait_connected()

            clicked = websocket.send_envelope(button_click("recon_ack", "1"))
            assert websocket.wait_ack(clicked) == {"envelope_id": clicked}
            assert app.wait_idle(timeout=30)
            assert (exception(store).state, exception(store).acknowledged_by) == ("acknowledged", "slack:U0ASHA")
            assert audit(store) == [OPENED, (2, 1, "slack:U0ASHA", "acknowledged", "open", "acknowledged", None)]
            assert status_field(fake_slack.messages[0]) == "*Status*\nacknowledged by slack:U0ASHA"

            # The modal's field error travels back in the acknowledgement's payload.
            websocket.wait_ack(websocket.send_envelope(button_click("recon_resolve", "1")))
            assert app.wait_idle(timeout=30)
            modal = fake_slack.views[0].view
            submitted = websocket.send_envelope(view_submission(modal, " "))
            assert websocket.wait_ack(submitted) == {
                "envelope_id": submitted,
                "payload": {
                    "response_action": "errors",
                    "errors": {"recon_resolve_reason": "a reason is required to resolve exception 1"},
                },
            }
            assert outbox_status(store) == [(1, "post_parent", "sent"), (2, "update_parent", "sent")]
        finally:
            stop.set()
            thread.join(timeout=10)
            app.close()
    assert failures == []
    assert [c.error for c in fake_slack.calls_to("apps.connections.open")] == [None]
