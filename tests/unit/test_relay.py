"""The relay hands ids to the broker off the request path and survives broker outages."""

from __future__ import annotations

from governance.ingest.relay import PAUSE_AFTER_FAILURE_SECONDS, Relay


class FlakyBroker:
    """Fails while ``down`` is set, records what it was sent otherwise."""

    def __init__(self) -> None:
        self.down = False
        self.sent: list[tuple[int, str | None]] = []
        self.attempts = 0

    def send(self, batch: list[tuple[int, str | None]]) -> None:
        self.attempts += 1
        if self.down:
            raise ConnectionError("broker unreachable")
        self.sent.extend(batch)


def test_ids_are_sent_in_order_with_their_request_id() -> None:
    """What is queued is sent, in order, carrying the request id."""
    broker = FlakyBroker()
    relay = Relay(broker.send)
    for event_id in range(5):
        relay(event_id, f"req-{event_id}")
    assert relay.drain(5)
    assert broker.sent == [(i, f"req-{i}") for i in range(5)]


def test_after_a_failure_ids_are_left_to_the_sweep_for_a_while() -> None:
    """One failed send pauses sending, so an outage costs one timeout, not one per id."""
    now = [0.0]
    broker = FlakyBroker()
    relay = Relay(broker.send, clock=lambda: now[0])
    broker.down = True
    for event_id in range(50):
        relay(event_id)
    assert relay.drain(5)
    assert broker.attempts == 1
    broker.down = False
    now[0] += PAUSE_AFTER_FAILURE_SECONDS + 0.1
    relay(99)
    assert relay.drain(5)
    assert broker.sent == [(99, None)]


def test_a_backlog_goes_out_in_batches() -> None:
    """Ids that queued up while a send was in flight share the next message."""
    import threading

    release = threading.Event()
    batches: list[list[tuple[int, str | None]]] = []

    def slow_send(batch: list[tuple[int, str | None]]) -> None:
        release.wait(5)
        batches.append(batch)

    relay = Relay(slow_send)
    for event_id in range(250):
        relay(event_id)
    release.set()
    assert relay.drain(5)
    assert [event_id for batch in batches for event_id, _ in batch] == list(range(250))
    assert len(batches) <= 4
    assert max(len(batch) for batch in batches) == 100
