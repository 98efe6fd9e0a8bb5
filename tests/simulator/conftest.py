"""One simulated landing zone shared by the simulator tests (a few thousand orders: seconds to build)."""

from __future__ import annotations

import pytest

from dagster_project.simulator import simulate
from tests.simulator.simulator_oracle import read_landing
from tests.simulator.support import AS_OF, ORDERS, SEED, Simulated, read_csv


@pytest.fixture(scope="session")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Simulated:
    result = simulate(ORDERS, SEED, tmp_path_factory.mktemp("simulated"), AS_OF)
    rows, reports, ignored = read_landing(result.landing)
    return Simulated(
        result,
        rows,
        reports,
        ignored,
        read_csv(result.labels_path),
        read_csv(result.orders_path),
        read_csv(result.bad_input_path),
    )
