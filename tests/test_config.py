"""recon.yaml: defaults, overrides, and errors that name the key at fault."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dagster_project.config import Config, load_config
from dagster_project.errors import ReconError


def test_missing_file_means_defaults(tmp_path):
    assert load_config(tmp_path / "recon.yaml") == Config()
    assert Config().rules.grace == timedelta(hours=2) and Config().ingest.max_invalid_share == 0.2


def test_overrides(tmp_path):
    path = tmp_path / "recon.yaml"
    path.write_text(
        "rules:\n  grace: 90m\n  missing_after: 1d\ningest:\n  max_invalid_share: 0.5\n"
        "status_map:\n  carrier:\n    DELIVERED_OK: delivered\n"
    )
    config = load_config(path)
    assert config.rules.grace == timedelta(minutes=90)
    assert config.rules.missing_after == timedelta(days=1)
    assert config.rules.window == timedelta(minutes=30)
    assert config.ingest.max_invalid_share == 0.5
    assert config.status_map == {"carrier": {"DELIVERED_OK": "delivered"}}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "rules:\n  gracee: 2h\n",
            "recon.yaml: unknown key rules.gracee; known keys here: "
            "grace, missing_after, revenue_lag, vendor_sla, window",
        ),
        (
            "rules:\n  grace: soon\n",
            "recon.yaml: rules.grace: 'soon' is not a duration; write e.g. '2h', '30m' or '1d'",
        ),
        ("ingest:\n  max_invalid_share: lots\n", "recon.yaml: ingest.max_invalid_share: 'lots' is not a number"),
        (
            "status_map:\n  pos:\n    X: delivered\n",
            "recon.yaml: status_map.pos: unknown system; "
            "use one of oms, wms, carrier, crm, payments, erp, integration_log",
        ),
        ("rules: [1]\n", "recon.yaml: rules must be a mapping, got list"),
        (
            "owners:\n  logistic_ops:\n    channel: '#x'\n",
            "recon.yaml: owners.logistic_ops: unknown team; "
            "use one of logistics_ops, finance_ops, cx_ops, integrations, data_platform",
        ),
        (
            "owners:\n  cx_ops:\n    chanel: '#x'\n",
            "recon.yaml: unknown key owners.cx_ops.chanel; known keys here: channel, escalation_channel, "
            "escalation_steps",
        ),
        (
            "owners:\n  cx_ops:\n    channel: 'cx ops'\n",
            "recon.yaml: owners.cx_ops.channel: 'cx ops' is not a Slack channel; write e.g. '#logistics-ops'",
        ),
        (
            "owners:\n  cx_ops:\n    escalation_channel: null\n    escalation_steps: ['#a']\n",
            "recon.yaml: owners.cx_ops.escalation_steps needs an escalation_channel (step 1) first",
        ),
        ("slack:\n  base_url: 42\n", "recon.yaml: slack.base_url: 42 is not a non-empty text"),
    ],
)
def test_errors_name_the_key(tmp_path, text, message):
    path = tmp_path / "recon.yaml"
    path.write_text(text)
    with pytest.raises(ReconError) as error:
        load_config(path)
    assert str(error.value) == message


def test_share_out_of_range(tmp_path):
    path = tmp_path / "recon.yaml"
    path.write_text("ingest:\n  max_invalid_share: 2\n")
    with pytest.raises(ReconError, match="ingest.max_invalid_share must be between 0 and 1"):
        load_config(path)


def test_owner_routing_defaults_and_overrides(tmp_path):
    assert Config().channels()["logistics_ops"] == "#logistics-ops"
    assert Config().escalation_steps()["finance_ops"] == ("#ops-escalations",)
    path = tmp_path / "recon.yaml"
    path.write_text(
        "owners:\n  logistics_ops:\n    channel: C0LOGISTIC\n    escalation_steps: ['#ops-leads', '#cto']\n"
        "  cx_ops:\n    escalation_channel: null\nslack:\n  base_url: http://127.0.0.1:9/api/\n"
    )
    config = load_config(path)
    assert config.channels()["logistics_ops"] == "C0LOGISTIC"
    assert config.escalation_steps()["logistics_ops"] == ("#ops-escalations", "#ops-leads", "#cto")
    assert config.escalation_steps()["cx_ops"] == ()
    assert config.channels()["finance_ops"] == "#finance-ops"
    assert config.slack.base_url == "http://127.0.0.1:9/api/"


@pytest.mark.parametrize(
    ("interval", "cron"),
    [("1h", "0 * * * *"), ("15m", "*/15 * * * *"), ("6h", "0 */6 * * *"), ("1d", "0 0 * * *"), ("null", None)],
)
def test_schedule_interval_becomes_a_cron(tmp_path, interval, cron):
    path = tmp_path / "recon.yaml"
    path.write_text(f"schedule:\n  interval: {interval}\n")
    assert load_config(path).schedule.cron == cron


def test_schedule_defaults_to_hourly():
    assert Config().schedule.cron == "0 * * * *"


@pytest.mark.parametrize("interval", ["7m", "5h", "2d", "90m"])
def test_schedule_interval_a_cron_cannot_express_names_the_key(tmp_path, interval):
    path = tmp_path / "recon.yaml"
    path.write_text(f"schedule:\n  interval: {interval}\n")
    with pytest.raises(ReconError, match=r"^recon.yaml: schedule.interval: .* does not divide an hour or a day evenly"):
        load_config(path)
