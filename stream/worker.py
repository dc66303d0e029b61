"""Run the Faust worker with the service's logging and topic set-up."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from faust.worker import Worker

from stream.app.app import create_service
from stream.kafka import create_topics
from stream.logs import configure_logging, get_logger
from stream.runtime import settle_heap
from stream.settings import Settings


class ServiceWorker(Worker):
    """Faust's worker, logging through structlog instead of its own formatter."""

    def __init__(self, *args: Any, settings: Settings, **kwargs: Any) -> None:
        self._settings = settings
        super().__init__(*args, **kwargs)

    def _setup_logging(self) -> None:
        configure_logging(self._settings.log_level, self._settings.log_format)


def run_worker(settings: Settings) -> None:
    configure_logging(settings.log_level, settings.log_format)
    # The CLI quiets aiokafka for one-shot commands; a long-running worker wants its
    # warnings and errors (e.g. authentication failing after a password rotation).
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
    # Faust runs on the current loop; create the topics on that same loop first.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(create_topics(settings))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    service = create_service(settings)
    get_logger("stream.worker").info(
        "worker_starting", app_id=settings.app_id, brokers=settings.brokers,
        input=settings.topic_raw, web=f"http://{settings.web_host}:{settings.web_port}")
    loop.run_until_complete(service.pool.start())
    settle_heap()
    worker = ServiceWorker(service.app, settings=settings, loglevel=settings.log_level.lower(),
                           quiet=True, redirect_stdouts=False)
    try:
        worker.execute_from_commandline()
    finally:
        service.pool.close()
