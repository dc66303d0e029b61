"""One memory entry per article for everything the publish step remembers of it.

Dedup (``a:<article id>``), boilerplate learning (``b:<article id>``) and events
(``e:<article id>``) each keep one small entry per article and derive the rest in process.
In the worker the memory is a changelogged Faust table, where every write is a message on
the changelog topic and a store write: three entries per article were three of each, and
more than a hundred pending changelog messages make Faust stop delivering every partition
until they are sent. :class:`Journal` keeps the three under one key per article:

``<article id>`` -> ``{"a": ..., "b": ..., "e": ...}`` (the parts that article has)

The states keep reading and writing their own ``<part>:<article id>`` keys through it;
writes are staged and :meth:`Journal.commit` (once per article published) writes each
article touched once, or deletes it when no part is left.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from typing import Any

#: A staged delete of one part.
_DELETED: Any = object()


def _split(key: str) -> tuple[str, str]:
    part, _, article_id = key.partition(":")
    if not part or not article_id:
        raise KeyError(key)
    return part, article_id


class Journal(MutableMapping[str, Any]):
    """``<part>:<article id>`` keys over one ``store`` entry per article (see the module
    docstring). Reads see staged writes; nothing reaches ``store`` before :meth:`commit`.

    ``legacy`` memories hold the same keys one per entry (the layout before the journal):
    their entries are moved into the journal the first time it is read whole (a rebuild).
    """

    def __init__(self, store: MutableMapping[str, Any],
                 legacy: Sequence[MutableMapping[str, Any]] = ()) -> None:
        self.store = store
        self.legacy = legacy
        self._staged: dict[str, dict[str, Any]] = {}
        #: The last full read, kept until the next write: the dedup, learning and events
        #: rebuilds each read everything, one after the other, from one scan of the store.
        self._snapshot: list[tuple[str, Any]] | None = None

    # -- writing -------------------------------------------------------------------------
    def commit(self) -> None:
        """Write every article whose parts changed since the last commit: one store write
        (or delete) each."""
        staged, self._staged = self._staged, {}
        self._snapshot = None
        for article_id, parts in staged.items():
            stored = self.store.get(article_id)
            entry = _applied(stored if isinstance(stored, Mapping) else {}, parts)
            if entry:
                self.store[article_id] = entry
            elif stored is not None:
                del self.store[article_id]

    def __setitem__(self, key: str, value: Any) -> None:
        self._stage(*_split(key), value)

    def _stage(self, part: str, article_id: str, value: Any) -> None:
        self._snapshot = None
        self._staged.setdefault(article_id, {})[part] = value

    def __delitem__(self, key: str) -> None:
        if self.pop(key, _DELETED) is _DELETED:
            raise KeyError(key)

    def pop(self, key: str, default: Any = _DELETED) -> Any:
        part, article_id = _split(key)
        value = self._part(part, article_id)
        if value is _DELETED:
            if default is _DELETED:
                raise KeyError(key)
            return default
        self._stage(part, article_id, _DELETED)
        return value

    # -- reading -------------------------------------------------------------------------
    def _part(self, part: str, article_id: str) -> Any:
        staged = self._staged.get(article_id)
        if staged is not None and part in staged:
            return staged[part]
        entry = self.store.get(article_id)
        return entry.get(part, _DELETED) if isinstance(entry, Mapping) else _DELETED

    def __getitem__(self, key: str) -> Any:
        value = self._part(*_split(key))
        if value is _DELETED:
            raise KeyError(key)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter([key for key, _value in self._items()])

    def items(self) -> Any:  # the pairs in one pass over the store (a rebuild's read)
        return self._items()

    def _items(self) -> list[tuple[str, Any]]:
        if self._snapshot is None:
            self._migrate()
            merged = {article_id: entry for article_id, entry in self.store.items()
                      if isinstance(entry, Mapping)}  # anything else is no entry of this layout
            for article_id, parts in self._staged.items():
                merged[article_id] = _applied(merged.get(article_id, {}), parts)
            self._snapshot = [(f"{part}:{article_id}", value)
                              for article_id, entry in merged.items()
                              for part, value in entry.items()]
        return self._snapshot

    def forget_snapshot(self) -> None:
        """The store may have changed behind this process's back (a rebalance)."""
        self._snapshot = None

    def __len__(self) -> int:
        return len(self._items())

    def _migrate(self) -> None:
        """Move the legacy memories' entries in (once: they are emptied as they move)."""
        moved = False
        for memory in self.legacy:
            for key, value in list(memory.items()):
                part, _, article_id = key.partition(":")
                if part and article_id:
                    self._stage(part, article_id, value)
                del memory[key]
                moved = True
        if moved:
            self.commit()


def _applied(entry: Mapping[str, Any], parts: Mapping[str, Any]) -> dict[str, Any]:
    """``entry`` with the staged ``parts`` set or deleted."""
    result = dict(entry)
    for part, value in parts.items():
        if value is _DELETED:
            result.pop(part, None)
        else:
            result[part] = value
    return result
