"""The Dagster UI as a user starts it (`recon ui`) on a free loopback port, over a small simulated landing zone,
and Debian's Chromium driven by Playwright. Screenshots go to $RECON_TEST_ARTIFACTS (default tests/artifacts)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
AS_OF = datetime(2026, 3, 1, tzinfo=UTC)
# A loaded CI machine (two cores) starts the webserver, daemon and code server in a minute or two.
START_TIMEOUT = 600
RUN_TIMEOUT = 1200
ENDED = {"SUCCESS", "FAILURE", "CANCELED"}


def artifacts_dir() -> Path:
    path = Path(os.environ.get("RECON_TEST_ARTIFACTS", Path(__file__).resolve().parents[1] / "artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class DagsterUi:
    url: str
    home: Path
    landing: Path
    log: Path

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(f"{self.url}/graphql", body, {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as exc:  # a malformed query: GraphQL says which field, in the body
            raise AssertionError(exc.read().decode()) from None
        assert "errors" not in answer, answer["errors"]
        return answer["data"]

    def runs(self) -> list[dict]:
        data = self.graphql("{ runsOrError { ... on Runs { results { runId jobName status tags { key value } } } } }")
        return data["runsOrError"]["results"]

    def wait_for_run(self, run_id: str) -> str:
        deadline = time.monotonic() + RUN_TIMEOUT
        while time.monotonic() < deadline:
            status = self.graphql(
                "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }", {"id": run_id}
            )["runOrError"]["status"]
            if status in ENDED:
                return status
            time.sleep(3)
        raise AssertionError(f"run {run_id} did not end within {RUN_TIMEOUT} s; see {self.log}")

    def failure_of(self, run_id: str) -> str:
        """The run's step errors, for an assertion message."""
        events = self.graphql(
            "query($id: ID!) { runOrError(runId: $id) { ... on Run { eventConnection { events {"
            " ... on ExecutionStepFailureEvent { stepKey error { message } } } } } } }",
            {"id": run_id},
        )["runOrError"]["eventConnection"]["events"]
        errors = [f"{e['stepKey']}: {e['error']['message']}" for e in events if e.get("error")]
        return "\n".join(errors) or f"no step failed; see {self.log}"


def _wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"`recon ui` exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/server_info", timeout=5):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(2)
    raise AssertionError(f"the Dagster UI did not answer within {START_TIMEOUT} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory) -> DagsterUi:
    from dagster_project.simulator import simulate

    root = tmp_path_factory.mktemp("ui")
    landing = simulate(200, 7, root / "sim", as_of=AS_OF).landing
    home = root / "home"
    port = free_port()
    log = artifacts_dir() / "recon-ui.log"
    # Console mode for Slack (no token), SQLite store and instance in the home: the embedded defaults.
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"SLACK_BOT_TOKEN", "RECON_SLACK_BASE_URL", "RECON_STORE_URL", "RECON_DAGSTER_PG_URL", "DAGSTER_HOME"}
    }
    recon = Path(sys.executable).parent / "recon"
    command = [str(recon), "ui", "--home", str(home), "--landing", str(landing), "--port", str(port)]
    command += ["--as-of", AS_OF.isoformat()]
    with log.open("w") as sink:
        process = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, process, log)
        yield DagsterUi(url, home, landing, log)
    finally:
        # `dagster dev` stops its webserver, daemon and code servers on SIGTERM; the group catches stragglers.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's Chromium at /usr/bin/chromium (`apt-get install chromium`; .ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    """A page that records console errors; a screenshot is saved under the test's name, pass or fail."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: page.console_errors.append(message.text) if message.type == "error" else None)
    yield page
    page.screenshot(path=str(artifacts_dir() / f"{request.node.name}.png"), full_page=True)
    context.close()
