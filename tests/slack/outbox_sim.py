"""What the store's outbox loop does with `send_pending` outcomes, in memory (a reference for it)."""

from __future__ import annotations

from dataclasses import replace

from dagster_project.slack.outbox import OutboxItem, Outcome, OutcomeStatus, send_pending


class MemoryOutbox:
    def __init__(self, items: list[OutboxItem]):
        self.items = {item.id: item for item in items}
        self.status = {item.id: "pending" for item in items}
        self.errors: dict[str, str | None] = {}
        self.channel_ids: dict[str, str | None] = {}

    def pending(self) -> list[OutboxItem]:
        """Unsent items in creation order; children get their parent's ts once it is known."""
        result = []
        for item_id, item in self.items.items():
            if self.status[item_id] != "pending":
                continue
            parent = self.items.get(item.parent_id or "")
            if parent is not None and parent.message_ts and not item.thread_ts:
                item = replace(item, thread_ts=parent.message_ts)
            result.append(item)
        return result

    def apply(self, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            item = self.items[outcome.item_id]
            if outcome.attempted:
                item = replace(item, attempts=item.attempts + 1)
            if outcome.status is OutcomeStatus.SENT:
                item = replace(item, message_ts=outcome.message_ts)
                self.channel_ids[item.id] = outcome.channel_id
                self.status[item.id] = "sent"
            elif outcome.status is OutcomeStatus.FAILED:
                self.status[item.id] = "failed"
            self.errors[item.id] = outcome.error
            self.items[item.id] = item

    def run_pass(self, sender) -> list[Outcome]:
        outcomes = send_pending(self.pending(), sender)
        self.apply(outcomes)
        return outcomes

    def run_until_sent(self, sender, max_passes: int = 10) -> int:
        """Passes until nothing is pending (bounded); returns how many it took."""
        for passes in range(1, max_passes + 1):
            self.run_pass(sender)
            if "pending" not in self.status.values():
                return passes
        raise AssertionError(f"still pending after {max_passes} passes: {self.errors}")
