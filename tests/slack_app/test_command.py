"""`recon slack-app` as a process: it serves a signed click, and on SIGTERM finishes it before exiting 0.

Run through the module's COMMANDS entry the way `dagster_project.cli.build_parser` wires every command (the
`--home` option, recon's stderr log), so the test holds whether or not the command is registered yet.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import pytest

from dagster_project.home import Home
from tests.slack.conftest import TOKEN
from tests.slack.fake_slack import FakeSlack
from tests.slack_app.interactions import SIGNING_SECRET, SlackPoster, button_click
from tests.slack_app.test_signed_requests import OPENED
from tests.store.rows import audit, exception

RUN_COMMAND = """
import argparse, logging, sys
from dagster_project.cli.slack_app import COMMANDS
[(name, help_text, configure, handler)] = COMMANDS
parser = argparse.ArgumentParser(prog="recon " + name)
parser.add_argument("--home")
configure(parser)
log = logging.getLogger("recon")
log.setLevel(logging.INFO)
log.addHandler(logging.StreamHandler(sys.stderr))
sys.exit(handler(parser.parse_args(sys.argv[1:])))
"""


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_command_serves_clicks_and_stops_cleanly_on_sigterm(
    home: Home, slack_env, posted, store, fake_slack: FakeSlack
):
    process = subprocess.Popen(
        [sys.executable, "-c", RUN_COMMAND, "--home", str(home.root), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        while not any("listening on" in line for line in lines):
            line = process.stderr.readline()
            assert line, f"the app exited early: {''.join(lines)}"
            lines.append(line)
        url = re.search(r"listening on (http://127\.0\.0\.1:\d+/slack/events)", lines[-1]).group(1)

        assert SlackPoster(url).post(button_click("recon_ack", "1")) == (200, "")
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 0, err
    # Acknowledged before the process exited: it waits for the clicks in flight.
    assert (exception(store).state, exception(store).acknowledged_by) == ("acknowledged", "slack:U0ASHA")
    assert audit(store) == [OPENED, (2, 1, "slack:U0ASHA", "acknowledged", "open", "acknowledged", None)]
    assert fake_slack.messages[0].edits == 1
    everything = "".join(lines) + out + err
    assert "Slack app: bot recon in workspace Fake (http mode)" in everything
    assert "Slack: acknowledge by U0ASHA" in everything
    assert "Slack: outbox 1 sent" in everything
    for secret in (TOKEN, TOKEN.split("-")[-1], SIGNING_SECRET):
        assert secret not in everything
