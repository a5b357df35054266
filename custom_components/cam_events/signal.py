"""A typed signal: listeners connect, the owner fires, each listener gets the same arguments."""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.core import CALLBACK_TYPE, callback


class Signal[**P]:
    """Listeners of one kind of change (motion, stream state, ...), called on the event loop."""

    __slots__ = ("_listeners",)

    def __init__(self) -> None:
        """Start without listeners."""
        self._listeners: list[Callable[P, None]] = []

    @callback
    def connect(self, listener: Callable[P, None]) -> CALLBACK_TYPE:
        """Call `listener` at every fire; returns the function that disconnects it."""
        self._listeners.append(listener)

        @callback
        def disconnect() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return disconnect

    @callback
    def fire(self, *args: P.args, **kwargs: P.kwargs) -> None:
        """Call every listener (one that disconnects during the call is still called)."""
        for listener in list(self._listeners):
            listener(*args, **kwargs)
