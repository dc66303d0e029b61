"""State derived from a durable memory and kept in process.

Dedup, boilerplate learning and events each store little in their memory (a Faust table
in the worker: every write is a changelog message) and derive the rest in process. What
they derive must be rebuilt whenever the memory may have changed behind the process's
back (a new process, a rebalance): :class:`Derived` holds it until then.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Derived(Generic[T]):
    """Built by ``build`` on first use; :meth:`invalidate` drops it, the next
    :meth:`get` builds it again from the memory."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None

    def get(self) -> T:
        if self._value is None:
            self._value = self._build()
        return self._value

    def invalidate(self) -> None:
        self._value = None
