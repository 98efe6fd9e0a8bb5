"""Identifiers as text: order ids, awbs, event/payment/invoice/ticket ids, built column-wise with pyarrow.

Ids that look random are an affine bijection of a counter (`scramble`), so they are unique by
construction, deterministic, and cost no hashing.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dagster_project.simulator.skeleton import Orders
from dagster_project.simulator.vocab import AWB_PREFIXES

ORDER_PREFIX = "ORD-"
MIN_ORDER_DIGITS = 7
_MULTIPLIERS = (2_654_435_761, 1_000_003, 998_244_353, 1_000_000_007)


def scramble(k: np.ndarray, size: int, salt: int = 0) -> np.ndarray:
    """A fixed permutation of 0..size-1, applied to `k` (so distinct k give distinct results)."""
    a = next(m for m in _MULTIPLIERS if gcd(m, size) == 1)
    return (np.asarray(k, np.int64) % size * a + salt) % size


def text(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def padded(values: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(text(values), width=width, padding="0")


def join(*parts) -> pa.Array:
    """Element-wise concatenation of arrays and constant strings (null if any part is null)."""
    return pc.binary_join_element_wise(*parts, "")


def order_digits_width(highest_number: int) -> int:
    return max(MIN_ORDER_DIGITS, len(str(highest_number)))


@dataclass
class Keys:
    """Text of every order key (real orders, then orphan keys) and every awb (two slots per order, then
    orphan awbs), indexed as the event rows index them."""

    digits: pa.Array
    order_ids: pa.Array
    awbs: pa.Array

    @classmethod
    def build(cls, orders: Orders, width: int, orphan_order_keys: list[str], orphan_awbs: list[str]) -> Keys:
        digits = padded(orders.number, width)
        order_ids = pa.concat_arrays([join(ORDER_PREFIX, digits), pa.array(orphan_order_keys, pa.string())])
        slots = np.arange(2 * orders.n)
        prefixes = pa.array(AWB_PREFIXES).take(pa.array(np.repeat(orders.carrier, 2)))
        awbs = join(prefixes, text(awb_numbers(slots, orders.n)))
        return cls(digits, order_ids, pa.concat_arrays([awbs, pa.array(orphan_awbs, pa.string())]))


def awb_numbers(slot_index: np.ndarray, n_orders: int) -> np.ndarray:
    """Ten-digit airway bill numbers; orphan awbs use the indices past 2 * n_orders, so never collide."""
    size = 2 * n_orders
    inside = slot_index < size
    return 4_000_000_000 + np.where(inside, scramble(slot_index, max(size, 1), 17), slot_index)
