"""The worker's consumer waits at most ``fetch_max_wait_ms`` per fetch (Faust fixes 1500)."""

from __future__ import annotations

import pytest

from stream.app.app import create_service
from stream.settings import Settings


@pytest.fixture(autouse=True)
def _no_stream_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("STREAM_"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize("wait_ms", [None, 40])
async def test_worker_consumer_fetch_wait_comes_from_the_settings(wait_ms: int | None) -> None:
    settings = Settings(store="memory", **({} if wait_ms is None else
                                           {"fetch_max_wait_ms": wait_ms}))
    app = create_service(settings).app
    thread = app.consumer._new_consumer_thread()  # type: ignore[attr-defined]
    consumer = thread._create_worker_consumer(app.transport)
    try:
        assert consumer._fetch_max_wait_ms == settings.fetch_max_wait_ms
        assert consumer._fetch_max_wait_ms != 1500  # Faust's fixed wait
    finally:
        await consumer.stop()

