"""Faust's aiokafka transport with the consumer's fetch wait taken from the settings.

Faust builds its worker consumer with ``fetch_max_wait_ms=1500`` and no setting to change
it. aiokafka keeps one fetch in flight per broker, and leaves out of that fetch every
partition whose last records are not consumed yet. So when a fetch goes out for partitions
that have nothing new (the input, once its backlog is read) while the worker is still
reading the internal hop topic's last records, the hop topic's next records wait for that
fetch to time out: up to 1.5 s in which the publish agent idles although its input is on
the broker (measured: gaps of 0.6-1.4 s with no hop delivered while the analysis went on,
then a backlog). A short wait bounds that gap; an idle worker sends a few more empty
fetches a second.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka

from stream.logs import get_logger

log = get_logger("stream.transport")


class _ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    logger = faust_aiokafka.logger  # Faust's own log name, not this module's

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        wait_ms = getattr(self.app, "fetch_max_wait_ms", None)
        if wait_ms is not None:
            if hasattr(consumer, "_fetch_max_wait_ms"):  # read by aiokafka's start()
                consumer._fetch_max_wait_ms = wait_ms
            else:  # an aiokafka that renamed it: keep Faust's wait rather than fail
                log.warning("fetch_max_wait_not_applied", wanted_ms=wait_ms)
        return consumer


class _Consumer(faust_aiokafka.Consumer):
    logger = faust_aiokafka.logger

    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class _Transport(faust_aiokafka.Transport):
    Consumer = _Consumer


class StreamApp(faust.App):
    """A Faust app whose worker consumer waits at most ``fetch_max_wait_ms`` per fetch."""

    def __init__(self, *args: Any, fetch_max_wait_ms: int | None = None, **kwargs: Any) -> None:
        self.fetch_max_wait_ms = fetch_max_wait_ms
        super().__init__(*args, **kwargs)

    def _new_transport(self) -> Any:
        url = self.conf.broker_consumer[0]
        if url.scheme not in ("kafka", "aiokafka"):
            return super()._new_transport()
        return _Transport(self.conf.broker_consumer, self)
