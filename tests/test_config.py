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
