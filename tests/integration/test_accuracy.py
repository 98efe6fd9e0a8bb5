"""On the simulator's data at 20,000 orders: recall >= 0.98 for every rule, classification accuracy >= 0.95,
and no divergence on an order the simulator made clean (issue 2/6 acceptance)."""

from __future__ import annotations

import pytest

from bench.accuracy import run_accuracy

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def accuracy(tmp_path_factory):
    return run_accuracy(20_000, 7, tmp_path_factory.mktemp("accuracy"))


def test_every_rule_is_found(accuracy):
    assert len(accuracy.rules) == 11
    recall = {rule: round(score.recall, 3) for rule, score in accuracy.rules.items()}
    assert all(r >= 0.98 for r in recall.values()), recall


def test_classification_accuracy(accuracy):
    assert accuracy.classification_accuracy >= 0.95


def test_nothing_on_clean_orders(accuracy):
    assert accuracy.on_clean_orders == 0
    assert sum(accuracy.extra.values()) == 0, dict(accuracy.extra)
