"""Exception fingerprints: the dedup key (PagerDuty `dedup_key` semantics) an exception is found by."""

from __future__ import annotations

import hashlib


def cluster_fingerprint(cluster_id: str) -> str:
    """sha256 of "cluster:" + the cluster id, in hex: the same cluster is the same exception on every run, machine
    and database. The prefix leaves room for exceptions keyed by something other than a cluster."""
    return hashlib.sha256(f"cluster:{cluster_id}".encode()).hexdigest()
