"""Named contributions one area makes to another, filled only by ``fieldreg.wiring``.

A registry is declared by the module that *uses* the contributions (stats declares the
figures it can show, subject the parts of a person's record, clusters its one source) with the
names it will ask for. ``fieldreg.wiring.wire()`` then calls each contributing module's
``register()``, in one list, from the app factory and the command line alike. Nothing is
added by importing a module, so a command that imported less than the web app still sees the
same contributions, and a name nobody registered is an error rather than a silent ``None``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


class NotWired(LookupError):
    """A registry was asked for a contribution that was never registered."""


class Registry:
    """A set of named contributions; only the declared names may be added or asked for."""

    def __init__(self, what: str, names: tuple[str, ...] | None = None):
        self.what = what
        self.names = names
        self._items: dict[str, Any] = {}

    def add(self, name: str, value: Any) -> None:
        """Register ``value`` under ``name`` (again with the same value is allowed)."""
        if self.names is not None and name not in self.names:
            raise NotWired(f"{self.what}: {name!r} is not one of {self.names}")
        if self._items.get(name, value) != value:
            raise ValueError(f"{self.what}: {name!r} is already registered differently")
        self._items[name] = value

    def get(self, name: str) -> Any:
        """Return the contribution named ``name``; raise NotWired if nobody registered it."""
        try:
            return self._items[name]
        except KeyError:
            raise NotWired(
                f"{self.what}: nothing registered {name!r} (is fieldreg.wiring.wire() called?)"
            ) from None

    def items(self) -> Iterator[tuple[str, Any]]:
        """Yield every (name, contribution), in the order they were registered."""
        yield from self._items.items()

    def __contains__(self, name: str) -> bool:
        return name in self._items

    def clear(self) -> None:
        """Forget every contribution (wiring does this before it wires again)."""
        self._items.clear()
