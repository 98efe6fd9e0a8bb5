"""`recon ui` before it hands over to `dagster dev`: the landing zone and evaluation time it chooses, the
environment it passes, the port check, and the home's dagster.yaml (storage, pool limit, hand edits kept)."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime

import pytest
import yaml

from dagster_project.cli import main
from dagster_project.cli.ui import UiSettings, check_port_free, ui_environment, ui_settings
from dagster_project.dagster_instance import PG_URL_ENV, open_instance, write_dagster_yaml
from dagster_project.errors import ReconError

DEMO_AS_OF = "2026-03-01T00:00:00Z"


@pytest.fixture
def demo_home(home):
    (home.root / "demo" / "landing").mkdir(parents=True)
    (home.root / "demo" / "simulation.json").write_text(json.dumps({"orders": 10, "seed": 1, "as_of": DEMO_AS_OF}))
    return home


def test_landing_option_wins_over_the_environment_and_the_demo(demo_home, tmp_path, monkeypatch):
    monkeypatch.setenv("RECON_LANDING", str(tmp_path / "from-env"))
    settings = ui_settings(demo_home, str(tmp_path / "given"), None)
    assert settings == UiSettings(tmp_path / "given", None, "--landing")


def test_environment_landing_comes_next(demo_home, tmp_path, monkeypatch):
    monkeypatch.setenv("RECON_LANDING", str(tmp_path / "from-env"))
    assert ui_settings(demo_home, None, None) == UiSettings(tmp_path / "from-env", None, "RECON_LANDING")


def test_the_demo_landing_zone_is_evaluated_at_its_simulated_time(demo_home, monkeypatch):
    monkeypatch.delenv("RECON_LANDING", raising=False)
    settings = ui_settings(demo_home, None, None)
    assert settings == UiSettings(
        demo_home.root / "demo" / "landing", datetime(2026, 3, 1, tzinfo=UTC), "the demo in this home"
    )
    later = datetime(2026, 3, 2, tzinfo=UTC)
    assert ui_settings(demo_home, None, later).as_of == later


def test_no_landing_zone_at_all(home, monkeypatch):
    monkeypatch.delenv("RECON_LANDING", raising=False)
    assert ui_settings(home, None, None) == UiSettings(None, None, "")


def test_the_environment_names_the_home_instance_landing_and_time(home, tmp_path, monkeypatch):
    monkeypatch.setenv("RECON_AS_OF", "stale")
    env = ui_environment(home, UiSettings(tmp_path, datetime(2026, 3, 1, tzinfo=UTC), "--landing"))
    assert (env["DAGSTER_HOME"], env["RECON_HOME"], env["RECON_LANDING"], env["RECON_AS_OF"]) == (
        str(home.dagster_home),
        str(home.root),
        str(tmp_path),
        "2026-03-01T00:00:00+00:00",
    )
    assert "RECON_AS_OF" not in ui_environment(home, UiSettings(tmp_path, None, "--landing"))


def test_a_port_in_use_is_refused_naming_it(home, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ReconError, match=rf"^port {port} on 127.0.0.1 is in use"):
            check_port_free(port)
        assert main(["ui", "--home", str(home.root), "--port", str(port)]) == 2
    assert (
        f"recon: error: port {port} on 127.0.0.1 is in use (another `recon ui`?); pass --port N"
        in capsys.readouterr().err
    )


def test_a_bad_port_is_an_argument_error(home, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["ui", "--home", str(home.root), "--port", "0"])
    assert exit_info.value.code == 2
    assert "'0' is not a port number (1-65535)" in capsys.readouterr().err


def test_dagster_yaml_sqlite_in_the_home_with_the_warehouse_pool_limited_to_one(home, monkeypatch):
    monkeypatch.delenv(PG_URL_ENV, raising=False)
    instance = open_instance(home)
    written = yaml.safe_load((home.dagster_home / "dagster.yaml").read_text())
    assert written == {
        "telemetry": {"enabled": False},
        "storage": {"sqlite": {"base_dir": str(home.dagster_home)}},
        "concurrency": {"pools": {"default_limit": 1}},
    }
    assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
    assert type(instance.run_storage).__name__ == "SqliteRunStorage"


def test_dagster_yaml_names_the_postgres_variable_never_its_value(home, monkeypatch):
    secret = "postgresql://recon:s3cret@db.internal:5432/dagster"
    monkeypatch.setenv(PG_URL_ENV, secret)
    write_dagster_yaml(home)
    text = (home.dagster_home / "dagster.yaml").read_text()
    assert yaml.safe_load(text)["storage"] == {"postgres": {"postgres_url": {"env": PG_URL_ENV}}}
    assert "s3cret" not in text


def test_a_hand_edited_dagster_yaml_is_kept(home):
    path = home.ensure().dagster_home / "dagster.yaml"
    path.write_text("telemetry:\n  enabled: false\n")
    write_dagster_yaml(home)
    assert path.read_text() == "telemetry:\n  enabled: false\n"
