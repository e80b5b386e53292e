"""The process stage in N worker processes (``newsetl run --workers N``), over the same leases.

Each worker process runs what one mapped ``process`` task of news_etl runs: :func:`run_process`, claim →
work → settle over ``raw_pages`` leases, one connection of its own. The workers start while the run
still fetches and follow it (a claim that finds nothing waits while the fetch stage may still store
pages), so extraction and NER use the other core during the fetch too.

* A stop (SIGTERM, SIGHUP, SIGINT, Ctrl-C) of the parent is forwarded to every worker as SIGTERM; each
  hands its claims back and exits, and the parent waits for them before closing the run as failed.
  A worker ignores nothing: stopped on its own, it hands its claims back the same way.
* A worker that dies (killed, crashed) loses no page: the parent hands its claims back at once (its
  process is gone), so the other workers take them, and the run fails, saying which worker failed
  and why. An error a worker raised travels to the parent, which raises it (a missing model is the
  same clear error with one worker or with four).
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import pickle
import signal
import sys
import time
from collections.abc import Callable, Sequence
from multiprocessing.process import BaseProcess
from types import TracebackType
from typing import Any

from etl.pipeline import runs
from etl.pipeline.process import run_process
from etl.pipeline.stopping import stopping_on_signals, terminated_in
from etl.records import Queue
from etl.settings import Settings
from etl.store.db import redact_text, transaction
from etl.store.queues import RAW_PAGES

log = logging.getLogger(__name__)
# Each worker is one process meant for one core: the numeric libraries' own thread pools (OpenBLAS under
# numpy/thinc) only compete with the other workers (measured: ~15% more CPU for the same NER, same wall
# time). Set for the workers unless the user set them.
ONE_THREAD = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
STOP_WAIT_SECONDS = 120.0  # a worker asked to stop hands back its claims well within this; then it is killed
POLL_SECONDS = 0.5


class WorkersFailed(RuntimeError):
    """A process worker failed without an error it could send (killed, or died in a crash)."""


class _Redacting(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))


def _portable(error: BaseException) -> BaseException:
    """The error, or a RuntimeError saying the same when it cannot travel between processes."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:  # noqa: BLE001 - any pickling failure
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def worker_main(url: str, settings: Settings, run_id: int, source_ids: Sequence[int] | None, fetch_done: Any,
                errors: Any, log_level: int) -> None:
    """One process worker (the spawned process's target): the process stage until nothing is left."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Redacting("%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s"))
    logging.basicConfig(level=log_level, handlers=[handler])
    code = 0
    with stopping_on_signals(signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        try:
            run_process(url, settings, run_id, source_ids, fetch_done=fetch_done)
        except BaseException as exc:  # noqa: BLE001 - sent to the parent, which raises it
            # a stop (Terminated, or one wrapped in a library's task group): the loop handed the claims back
            if (term := terminated_in(exc)) is not None:
                code = 128 + term.signum
            else:
                log.error("process worker failed: %s", exc, exc_info=exc)
                errors.put((os.getpid(), _portable(exc)))
                code = 1
    sys.exit(code)


class ProcessWorkers:
    """N process workers of one run; use as a context manager (a failure or a stop inside stops them)."""

    def __init__(self, url: str, settings: Settings, run_id: int, source_ids: Sequence[int] | None,
                 workers: int, *, follow_fetch: bool) -> None:
        ctx = mp.get_context("spawn")  # a fresh interpreter: no connection, thread or event loop of the parent
        self.url, self.run_id, self.source_ids = url, run_id, source_ids
        self.fetch_done = ctx.Event()
        if not follow_fetch:
            self.fetch_done.set()
        self.errors = ctx.SimpleQueue()
        level = logging.getLogger().getEffectiveLevel()
        self.procs: list[BaseProcess] = [
            ctx.Process(target=worker_main, name=f"newsetl-process-{i + 1}",
                        args=(url, settings, run_id, list(source_ids) if source_ids is not None else None,
                              self.fetch_done, self.errors, level))
            for i in range(workers)]
        self._released: set[int] = set()

    def __enter__(self) -> ProcessWorkers:
        unset = [name for name in ONE_THREAD if name not in os.environ]
        os.environ.update({name: "1" for name in unset})  # what the spawned interpreters start with
        try:
            for proc in self.procs:
                proc.start()
        except BaseException:
            self.stop()  # those already started
            raise
        finally:
            for name in unset:
                os.environ.pop(name, None)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        if any(proc.exitcode is None for proc in self.procs):
            self.stop()

    def fetched(self) -> None:
        """The run's fetch stage is over: workers end once nothing is left to claim."""
        self.fetch_done.set()

    def wait(self, advance: Callable[[int], None] | None = None) -> None:
        """Wait until every worker has exited; raise when one failed (after its claims were handed back)."""
        last = None
        while True:
            for proc in self.procs:
                proc.join(POLL_SECONDS / len(self.procs))
            self._hand_back_dead()
            if advance is not None:
                pending = runs.count_pending(self.url, Queue.PROCESS, self.source_ids, self.run_id)
                if last is not None and pending < last:
                    advance(last - pending)
                last = pending if last is None else min(last, pending)
            if all(proc.exitcode is not None for proc in self.procs):
                break
        self._raise_failures()

    def stop(self) -> None:
        """Ask every worker still running to stop (SIGTERM), wait for them, hand back what the dead held."""
        for proc in self.procs:
            if proc.exitcode is None and proc.pid is not None:
                try:
                    os.kill(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        for proc in self.procs:
            if proc.pid is None:
                continue
            proc.join(max(0.0, deadline - time.monotonic()))
            if proc.exitcode is None:
                log.warning("%s did not stop within %.0fs; killing it", proc.name, STOP_WAIT_SECONDS)
                proc.kill()
                proc.join()
        try:
            self._hand_back_dead(every=True)
        except Exception:  # noqa: BLE001 - the database may be what failed: the leases expire anyway
            log.warning("could not hand back the claims of the stopped workers; they free up when the lease expires")

    def _hand_back_dead(self, every: bool = False) -> None:
        """Hand back the claims of workers that died (or, with ``every``, of all that exited) at once."""
        dead = [p for p in self.procs if p.exitcode is not None and p.pid not in self._released
                and (every or p.exitcode != 0)]
        if not dead:
            return
        with transaction(self.url) as conn:
            runs.release_dead_workers(conn, RAW_PAGES.holders(conn), queues=(RAW_PAGES,))
        for proc in dead:
            self._released.add(proc.pid or 0)
            if proc.exitcode != 0:
                log.warning("%s (pid %s) %s; its claimed pages were handed back", proc.name, proc.pid,
                            _exit_text(proc.exitcode))

    def _raise_failures(self) -> None:
        sent: dict[int, BaseException] = {}
        while not self.errors.empty():
            pid, error = self.errors.get()
            sent.setdefault(pid, error)
        failed = [p for p in self.procs if p.exitcode != 0]
        if not failed:
            return
        for proc in failed:  # an error a worker sent is raised as it is (a missing model stays a clear error)
            if proc.pid in sent:
                raise sent[proc.pid]
        what = ", ".join(f"{p.name} (pid {p.pid}) {_exit_text(p.exitcode)}" for p in failed)
        raise WorkersFailed(f"{len(failed)} of {len(self.procs)} process workers failed: {what}; the pages they "
                            "held were handed back (the next run takes them)")


def _exit_text(code: int | None) -> str:
    if code is not None and code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    return f"exited with status {code}"
