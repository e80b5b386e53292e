"""Stopping on a signal: SIGTERM (and others) raise :class:`Terminated` in the main thread, so the stage
loops hand their claims back and the run is closed as failed instead of left running (the CLI's run
and each of its process workers, ``etl.pipeline.workers``)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager


class Terminated(BaseException):
    """A signal asked this process to stop (not an Exception: no ``except Exception`` swallows it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum


@contextmanager
def stopping_on_signals(*signums: int) -> Iterator[None]:
    """While inside, SIGTERM (and the other ``signums``) raise :class:`Terminated` in the main thread, so
    the stage loops hand their claims back and the run is closed as failed instead of left running."""
    wanted = signums or (signal.SIGTERM, signal.SIGHUP)

    fired: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        if fired:  # already stopping: a second signal must not interrupt the closing of the run
            return
        fired.append(signum)
        raise Terminated(signum)

    previous = {s: signal.signal(s, stop) for s in wanted}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def terminated_in(exc: BaseException) -> Terminated | None:
    """The :class:`Terminated` inside ``exc``, itself or one an exception group wraps (a signal that
    landed inside a library's task group comes out as a group), else None."""
    if isinstance(exc, Terminated):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            if (found := terminated_in(inner)) is not None:
                return found
    return None
