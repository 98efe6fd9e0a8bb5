"""Small helpers shared by the benchmarks: timing, peak memory, result files, machine facts, DuckDB threads."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

RESULTS = Path(__file__).parent / "results"
# Every DuckDB in a benchmark runs on this many threads: the benchmarks' own connections, and (through
# bench/pin/sitecustomize.py) those of a measured `recon run` and its dbt subprocess.
DUCKDB_THREADS = 2
PIN_DIR = Path(__file__).parent / "pin"
THREADS_ENV = "RECON_BENCH_DUCKDB_THREADS"
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
MIB = 2**20


@dataclass
class Timer:
    seconds: float = 0.0


@contextmanager
def timed():
    timer = Timer()
    start = time.perf_counter()
    try:
        yield timer
    finally:
        timer.seconds = time.perf_counter() - start


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def connect(path: str | os.PathLike = ":memory:", read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection on DUCKDB_THREADS threads."""
    return duckdb.connect(str(path), read_only=read_only, config={"threads": DUCKDB_THREADS})


def pinned_env(threads: int = DUCKDB_THREADS) -> dict[str, str]:
    """The environment for a measured subprocess: every DuckDB it (or its children) opens uses `threads`."""
    env = dict(os.environ)
    env[THREADS_ENV] = str(threads)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PIN_DIR), env.get("PYTHONPATH")]))
    return env


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue  # gone since the listing
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def tree_rss_bytes(root: int) -> int:
    """Resident memory of a process and all its descendants, now (Linux /proc)."""
    children, total, todo = _children(), 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm", "rb") as f:
                total += int(f.read().split()[1]) * PAGE_SIZE
        except OSError:
            continue
        todo += children.get(pid, [])
    return total


class TreeRssSampler:
    """Samples the summed RSS of a process tree in a background thread; `peak_mib` is the largest sum seen.
    A sample every `interval` seconds: a peak shorter than that can be missed."""

    def __init__(self, root: int | None = None, interval: float = 0.1):
        self.root, self.interval, self.peak = root or os.getpid(), interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while True:
            self.peak = max(self.peak, tree_rss_bytes(self.root))
            if self._stop.wait(self.interval):
                return

    @property
    def peak_mib(self) -> float:
        return self.peak / MIB

    def __enter__(self) -> TreeRssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class ProcessRun:
    returncode: int
    seconds: float
    peak_tree_rss_mib: float  # sampled sum over the process and its children (dbt) at the worst moment
    max_process_rss_mib: float  # the largest single process of the tree (kernel's ru_maxrss, exact)


def run_measured(cmd: list[str], env: dict[str, str], stdout: Path, stderr: Path) -> ProcessRun:
    """Run a command to completion: wall time, peak RSS of its process tree, largest process RSS."""
    with stdout.open("wb") as out, stderr.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err)
        with TreeRssSampler(proc.pid) as sampler:
            # wait4: the child's rusage, its waited-for descendants included (ru_maxrss = the largest of them).
            _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return ProcessRun(proc.returncode, seconds, sampler.peak_mib, usage.ru_maxrss / 1024)


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "duckdb": duckdb.__version__,
        "measured_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }


def write_results(name: str, markdown: str, data: dict, folder: Path = RESULTS) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    md, js = folder / f"{name}.md", folder / f"{name}.json"
    md.write_text(markdown)
    js.write_text(json.dumps(data, indent=2, default=str) + "\n")
    return md, js
