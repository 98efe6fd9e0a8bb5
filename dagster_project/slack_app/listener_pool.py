"""The threads Bolt runs button handlers on, counting the work in flight (also the app's replay worker).

Bolt answers Slack as soon as a handler calls `ack()`, while the handler goes on (the store, then the outbox) on
this pool. `wait_idle` lets a shutdown finish the clicks already acknowledged, and tests see them done.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor


class ListenerPool(ThreadPoolExecutor):
    def __init__(self, max_workers: int = 5, name: str = "recon-slack-app"):
        super().__init__(max_workers=max_workers, thread_name_prefix=name)
        self._idle = threading.Condition()
        self._busy = 0

    def submit(self, fn, /, *args, **kwargs) -> Future:
        with self._idle:
            self._busy += 1
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._done(None)
            raise
        future.add_done_callback(self._done)
        return future

    def _done(self, _future: Future | None) -> None:
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()

    def in_flight(self) -> int:
        """How many submitted handlers have not finished (queued or running)."""
        with self._idle:
            return self._busy

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every submitted handler has finished; False if `timeout` seconds passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout=timeout)
