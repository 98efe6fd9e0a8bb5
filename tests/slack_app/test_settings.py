"""Choosing Socket Mode or HTTP from the environment, and what a missing setting says."""

from __future__ import annotations

import argparse

import pytest

from dagster_project.cli.slack_app import COMMANDS, port_number
from dagster_project.errors import ReconError
from dagster_project.slack_app import AppSettings, Mode, choose_mode

BOT = "xoxb-1-2-bot-secret"
SECRET = "signing-secret-value"
APP = "xapp-1-A1-3-app-secret"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"SLACK_BOT_TOKEN": BOT, "SLACK_SIGNING_SECRET": SECRET}, AppSettings(Mode.HTTP, BOT, SECRET, None)),
        ({"SLACK_BOT_TOKEN": BOT, "SLACK_APP_TOKEN": APP}, AppSettings(Mode.SOCKET, BOT, None, APP)),
        # The app token wins: the signing secret is kept but Socket Mode does not need it.
        (
            {"SLACK_BOT_TOKEN": BOT, "SLACK_APP_TOKEN": APP, "SLACK_SIGNING_SECRET": SECRET},
            AppSettings(Mode.SOCKET, BOT, SECRET, APP),
        ),
        # Blank means unset; surrounding whitespace (a pasted value) is dropped.
        (
            {"SLACK_BOT_TOKEN": f" {BOT}\n", "SLACK_APP_TOKEN": "  ", "SLACK_SIGNING_SECRET": SECRET},
            AppSettings(Mode.HTTP, BOT, SECRET, None),
        ),
    ],
)
def test_the_mode_follows_the_app_token(environ, expected):
    assert choose_mode(environ) == expected


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {},
            "SLACK_BOT_TOKEN is not set: the Slack app needs its bot token (xoxb-..., under OAuth & Permissions) in "
            "the environment",
        ),
        (
            {"SLACK_BOT_TOKEN": " ", "SLACK_APP_TOKEN": APP},
            "SLACK_BOT_TOKEN is not set: the Slack app needs its bot token (xoxb-..., under OAuth & Permissions) in "
            "the environment",
        ),
        (
            {"SLACK_BOT_TOKEN": BOT},
            "SLACK_SIGNING_SECRET is not set: HTTP mode needs the app's signing secret (Basic Information > App "
            "Credentials) in the environment to verify Slack's requests; or set SLACK_APP_TOKEN (xapp-...) to use "
            "Socket Mode",
        ),
        (
            {"SLACK_BOT_TOKEN": BOT, "SLACK_APP_TOKEN": "xoxb-a-bot-token-by-mistake"},
            "SLACK_APP_TOKEN is not an app-level token (xapp-...): create one with the connections:write scope under "
            "Basic Information > App-Level Tokens, or unset it to use HTTP mode",
        ),
    ],
)
def test_a_missing_setting_names_the_variable_and_what_to_do(environ, message):
    with pytest.raises(ReconError) as raised:
        choose_mode(environ)
    assert str(raised.value) == message


def test_secrets_stay_out_of_the_settings_repr():
    shown = repr(choose_mode({"SLACK_BOT_TOKEN": BOT, "SLACK_APP_TOKEN": APP, "SLACK_SIGNING_SECRET": SECRET}))
    assert shown == "AppSettings(mode=<Mode.SOCKET: 'socket'>)"


def test_the_command_follows_the_cli_pattern():
    [(name, help_text, configure, handler)] = COMMANDS
    assert (name, callable(handler)) == ("slack-app", True)
    assert help_text == "serve the Slack buttons: Socket Mode with SLACK_APP_TOKEN, else HTTP at /slack/events"
    parser = argparse.ArgumentParser()
    configure(parser)
    assert vars(parser.parse_args([])) == {"host": "127.0.0.1", "port": 3000}
    assert vars(parser.parse_args(["--host", "0.0.0.0", "--port", "0"])) == {"host": "0.0.0.0", "port": 0}


@pytest.mark.parametrize("text", ["-1", "65536", "http", ""])
def test_a_port_is_a_number_from_0_to_65535(text):
    with pytest.raises(argparse.ArgumentTypeError) as raised:
        port_number(text)
    assert str(raised.value) == f"{text!r} is not a port number (0-65535; 0 picks a free port)"
