"""The analyse step for batches of raw messages, in worker processes.

Cleaning and extraction are pure CPU work on one article at a time; in the worker's own
process they would hold the interpreter lock that the consumer, the producer and the
dedup stage also need. An :class:`AnalysePool` sends each batch, split into one chunk per
process, to a ``spawn`` process pool and gives back the results in input order.

A process that dies (a C-level crash on a hostile page, the kernel's OOM killer) breaks
the whole pool in ``concurrent.futures``: the pool is replaced and the failed chunk is
retried one message at a time, so only the message that kills a process again is
dead-lettered and the rest are analysed as usual.

With ``processes=0`` the batch runs in the calling process (tests, small deployments).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from stream.core.models import OutRecord
from stream.errors import Reason
from stream.runtime import settle_heap
from stream.settings import Settings
from stream.steps import Analysed, Coordinates, Steps


@dataclass(frozen=True, slots=True)
class RawItem:
    """One raw message as the analyse step needs it (picklable, no Faust types)."""

    key: bytes | None
    value: bytes
    where: Coordinates


Result = Analysed | OutRecord


def analyse_items(steps: Steps, items: Sequence[RawItem]) -> list[Result]:
    """The batch in order; an unexpected exception dead-letters its message only."""
    return steps.analyse_batch([(item.key, item.value, item.where) for item in items])


# ------------------------------------------------------------------ in the child process

#: The child's own Steps, built once by the pool's initializer (one per process).
_CHILD: dict[str, Steps] = {}


def _child_init(settings: Settings) -> None:
    _die_with_parent()
    # The parent handles Ctrl-C and SIGTERM and shuts the pool down itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if settings.analyse_niceness:
        os.nice(settings.analyse_niceness)
    _CHILD["steps"] = Steps.from_settings(settings)
    settle_heap()  # the knowledge base is never garbage: keep collections off it


def _child_analyse(items: Sequence[RawItem]) -> list[Result]:
    return analyse_items(_CHILD["steps"], items)


def _child_ready() -> bool:
    return "steps" in _CHILD


def _die_with_parent() -> None:
    """A worker killed with SIGKILL cannot stop its pool: ask Linux to kill the children."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


# --------------------------------------------------------------------------- the parent


class AnalysePool:
    """Batches of raw messages to analysed results, across ``processes`` processes."""

    #: What a child runs for a chunk (a module-level function: ``spawn`` pickles it by name).
    task: Callable[[Sequence[RawItem]], list[Result]] = staticmethod(_child_analyse)

    def __init__(self, settings: Settings, steps: Steps, processes: int) -> None:
        self.settings, self.steps, self.processes = settings, steps, processes
        self._executor: ProcessPoolExecutor | None = None
        #: One message at a time while isolating a crash, so an innocent message never
        #: shares the pool with the one that kills it.
        self._isolating = asyncio.Lock()
        self.restarts = 0

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.processes, mp_context=multiprocessing.get_context("spawn"),
                initializer=_child_init, initargs=(self.settings,))
        return self._executor

    async def start(self) -> None:
        """Start every process now (a spawned child imports the package and loads the
        knowledge base, about a second) rather than on the first batch."""
        if self.processes:
            pool = self._pool()
            await asyncio.gather(*(asyncio.wrap_future(pool.submit(_child_ready))
                                   for _ in range(self.processes)))

    def close(self) -> None:
        # wait=True joins the pool's manager thread: left running, it races the
        # interpreter's exit hook for the pool's wake-up pipe (EBADF traceback at exit).
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    async def analyse(self, items: Sequence[RawItem]) -> list[Result]:
        if not items:
            return []
        if not self.processes:
            return analyse_items(self.steps, items)
        chunks = _chunks(items, self.processes)
        results = await asyncio.gather(*(self._run_chunk(chunk) for chunk in chunks))
        return [result for chunk_results in results for result in chunk_results]

    async def _run_chunk(self, chunk: Sequence[RawItem]) -> list[Result]:
        try:
            return await self._submit(chunk)
        except BrokenProcessPool:
            self._replace_broken()
        async with self._isolating:
            return [await self._run_alone(item) for item in chunk]

    async def _run_alone(self, item: RawItem) -> Result:
        try:
            [result] = await self._submit([item])
            return result
        except BrokenProcessPool:
            self._replace_broken()
            return self.steps.dead_letter(
                Reason.INTERNAL_ERROR, "the analysis process died on this message",
                item.value, item.key, item.where)

    def _submit(self, chunk: Sequence[RawItem]) -> asyncio.Future[list[Result]]:
        future: Future[list[Result]] = self._pool().submit(self.task, list(chunk))
        return asyncio.wrap_future(future)

    def _replace_broken(self) -> None:
        # Several chunks of one batch see the same broken pool: replace it once.
        executor = self._executor
        if executor is not None and getattr(executor, "_broken", False):
            executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
            self.restarts += 1


def _chunks(items: Sequence[RawItem], parts: int) -> list[Sequence[RawItem]]:
    """Contiguous chunks of about equal bytes, so no process waits on a heavy sibling."""
    parts = max(1, min(parts, len(items)))
    if parts == 1:
        return [items]
    total = sum(len(item.value) for item in items)
    share = total / parts
    chunks: list[Sequence[RawItem]] = []
    start, running = 0, 0
    for index, item in enumerate(items):
        running += len(item.value)
        remaining_parts = parts - len(chunks) - 1
        if remaining_parts and running >= share * (len(chunks) + 1) \
                and len(items) - index - 1 >= remaining_parts:
            chunks.append(items[start:index + 1])
            start = index + 1
    chunks.append(items[start:])
    return [chunk for chunk in chunks if chunk]
