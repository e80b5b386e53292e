"""One claim → work → settle loop for the fetch and process stages, and its one error policy.

A stage supplies a :class:`Step`: how to claim a batch, how to work it, how to store what it made.
The loop does the rest, the same way for both:

* Claims are leases. Only rows this worker still holds are settled (a lost lease settles nothing
  and counts as ``lease_lost``); whatever is unsettled when the loop stops is handed back. A loop
  starting hands back the claims of workers of this machine whose process is gone (killed), so
  their items do not wait for the lease to expire.
* Each item ends as one of four outcomes:
  ``Done`` — stored; ``Failed`` — bad input, a reject for good; ``Later`` — a transient failure
  (a timeout, a 5xx): left pending for a later run, given up after ``max_fetch_attempts``;
  ``Crashed`` — a bug in our own code: also left for a later run, then rejected as
  ``internal_error`` with the traceback's last frame in the detail. An item is tried at most
  once per run (the run that deferred it does not claim it again). A ``Later`` the step
  *excuses* (the fetch of a URL whose host is parked: the host failed, not the URL) is left
  pending without costing an attempt, whatever the settings: an outage never gives a URL up.
* A claim that finds nothing while the step says work of its scope remains (``Step.idle``: the
  fetch stage's hosts held by another worker) waits and claims again instead of ending: a mapped
  task never exits "done" with its pages left behind.
* An error of the setup (:class:`etl.records.SetupError`: a missing model, a bad setting) stops
  the stage: it is nobody's page's fault.
* A settle the database refuses (``etl.store.db.error_kind``): a conflict with a concurrent batch
  is tried again in place; refused data (an oversized value, a constraint) is narrowed down by
  settling item by item, the item that still fails becoming a ``Failed`` reject from
  ``Step.store_error``; a lack of resources (disk full) leaves that batch to a later attempt and
  fails the stage once the other batches have landed; a lost connection stops the stage at once.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import traceback
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, Generic, Protocol, TypeVar

from etl.pipeline.runs import release_dead_workers
from etl.records import Reason, Reject, SetupError, Stage
from etl.settings import Settings
from etl.store import rejects as reject_rows
from etl.store import runs
from etl.store.db import Conn, Database, ErrorKind, error_kind
from etl.store.queues import QueueTable

log = logging.getLogger(__name__)

T = TypeVar("T")
C = TypeVar("C", bound="Claimed")
CONFLICT_RETRIES = 3


class Claimed(Protocol):
    """What every claimed row tells the loop (frontier claims and raw pages both do)."""

    @property
    def url(self) -> str: ...
    @property
    def url_hash(self) -> str: ...
    @property
    def source_id(self) -> int: ...
    @property
    def attempts(self) -> int: ...


@dataclass(frozen=True)
class Done(Generic[T]):
    value: T


@dataclass(frozen=True)
class Failed:
    reject: Reject


@dataclass(frozen=True)
class Later:
    reject: Reject


@dataclass(frozen=True)
class Crashed:
    stage: Stage
    error: BaseException


Outcome = Done[T] | Failed | Later | Crashed
Worked = list[tuple[C, Outcome[T]]]


class Step(Protocol[C, T]):
    """What a stage gives the loop."""

    queue: QueueTable
    capacity: int  # items in flight at most (claimed, not yet settled)
    claim_size: int  # items asked for per claim

    def key(self, claim: C) -> Any: ...

    def claim(self, conn: Conn, worker: str, limit: int) -> list[C]: ...

    def start(self, claims: list[C]) -> list[tuple[Awaitable[Worked[C, T]], int]]:
        """Start working the claims: awaitables, each with how many of the claims it gives outcomes for."""
        ...

    def store(self, conn: Conn, done: list[tuple[C, T]]) -> Counter[str]:
        """Write what Done items made (inside the settle's transaction); returns counters."""
        ...

    def store_error(self, claim: C, error: BaseException) -> Reject:
        """The reject of an item whose data the database refuses."""
        ...

    def after_settle(self, conn: Conn) -> Counter[str]:
        """Anything else to write in a settle's transaction (the fetch log, robots answers); its counters."""
        ...

    def excused(self, claim: C) -> bool:
        """True when a transient failure of this item is not its own (its host is parked): no attempt is charged."""
        ...

    def idle(self, conn: Conn, worker: str) -> float | None:
        """A claim found nothing and nothing is in flight: seconds to wait before claiming again while
        work of this step's scope remains (held by another worker), or None when the queue is done."""
        ...

    def pending(self, conn: Conn) -> int:
        """Items of this step's scope still to work (for the log's done/total when no quota is given)."""
        ...

    def timings(self, settle_seconds: float) -> dict[str, float]:
        """Seconds spent per stage since the last settle (added to the run's stage timings)."""
        ...


def crashed(stage: Stage, claims: Sequence[C], error: BaseException) -> Worked[C, Any]:
    """The outcome of claims whose work raised: a bug of ours, unless the setup is wrong."""
    if isinstance(error, SetupError | KeyboardInterrupt | SystemExit):
        raise error
    log.error("%s of %d item(s) crashed: %s", stage, len(claims), last_frame(error), exc_info=error)
    return [(claim, Crashed(stage, error)) for claim in claims]


def last_frame(error: BaseException) -> str:
    """``ValueError: bad thing (etl/x.py:12 in fn)``: what an internal_error reject says."""
    frames = traceback.extract_tb(error.__traceback__)
    where = ""
    if frames:
        last = frames[-1]
        where = f" ({last.filename.rsplit('/etl/', 1)[-1]}:{last.lineno} in {last.name})"
    return f"{type(error).__name__}: {error}"[:800] + where


@dataclass
class StageResult:
    """Counts of one stage call, returned to the caller (and to XCom: small and JSON-able)."""

    counts: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"counts": dict(self.counts), "seconds": round(self.seconds, 3)}


class DatabaseThread:
    """The worker's one connection, used from one thread: the event loop hands it work and goes on."""

    def __init__(self, url: str) -> None:
        self.database = Database(url)
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="newsetl-db")

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        def run() -> T:
            with self.database.transaction() as conn:
                return fn(conn, *args)

        return await asyncio.get_running_loop().run_in_executor(self.pool, run)

    def close(self) -> None:
        self.pool.submit(self.database.close).result()
        self.pool.shutdown()


@dataclass
class Loop(Generic[C, T]):
    """One run of a step: claims until its quota is used or its queue is empty."""

    step: Step[C, T]
    url: str
    settings: Settings
    run_id: int
    worker: str
    quota: float = math.inf
    progress: Callable[[int], None] | None = None
    total: int | None = None  # items this loop is expected to work (the log's done/total)
    flush_every: float = 2.0  # seconds: finished items wait at most this long to be settled
    claim_every: float = 0.1  # seconds between claims while items are in flight
    result: StageResult = field(default_factory=StageResult)
    failures: list[BaseException] = field(default_factory=list)
    done: int = 0  # items settled
    batches: int = 0
    _reasons: Counter[str] = field(default_factory=Counter)  # rejects by reason of the settle being made

    async def run(self) -> StageResult:
        started = time.perf_counter()
        db = DatabaseThread(self.url)
        in_flight: dict[asyncio.Future[Worked[C, T]], int] = {}
        finished: Worked[C, T] = []
        remaining = self.quota
        exhausted = False
        last_flush = last_claim = time.monotonic()
        try:
            await db.call(self._release_dead)
            if self.total is None:
                pending = await db.call(self.step.pending)
                self.total = int(min(pending, self.quota))
            while True:
                busy = sum(in_flight.values())
                if (not exhausted and remaining > 0 and busy < self.step.capacity
                        and (not in_flight or time.monotonic() - last_claim >= self.claim_every)):
                    last_claim = time.monotonic()
                    limit = int(min(self.step.claim_size, remaining, self.step.capacity - busy))
                    claims = await db.call(self.step.claim, self.worker, limit)
                    remaining -= len(claims)
                    if not claims and not in_flight:
                        if finished:  # settled first: what this worker still holds is not someone else's
                            await self._flush(db, finished)
                            finished = []
                        wait = await db.call(self.step.idle, self.worker)
                        if wait is None:
                            exhausted = True
                        else:
                            await asyncio.sleep(wait)
                            last_claim = time.monotonic() - self.claim_every
                            continue
                    for part, size in self.step.start(claims):
                        in_flight[asyncio.ensure_future(part)] = size
                if not in_flight:
                    if finished:
                        await self._flush(db, finished)
                        finished = []
                    if exhausted or remaining <= 0:
                        break
                    if not finished:
                        await asyncio.sleep(self.claim_every)
                    continue
                done, _ = await asyncio.wait(in_flight, timeout=self.claim_every, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    in_flight.pop(task)
                    finished.extend(task.result())
                if finished and (len(finished) >= self.step.claim_size
                                 or time.monotonic() - last_flush >= self.flush_every):
                    await self._flush(db, finished)
                    finished, last_flush = [], time.monotonic()
            if self.failures:
                raise self.failures[0]
        except BaseException:
            for task in in_flight:
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)
            try:
                await db.call(self.step.queue.release, self.worker)
            except Exception:  # the database may be what failed: the leases expire anyway
                log.warning("could not hand back the claims of %s; they free up when the lease expires", self.worker)
            raise
        finally:
            await asyncio.to_thread(db.close)
        self.result.seconds = time.perf_counter() - started
        return self.result

    def _release_dead(self, conn: Conn) -> None:
        release_dead_workers(conn, self.step.queue.holders(conn), queues=(self.step.queue,))

    async def _flush(self, db: DatabaseThread, items: Worked[C, T]) -> None:
        """Settle finished items, applying the database-error policy of the module docstring."""
        try:
            counts = await self._settle_retrying(db, items)
        except Exception as exc:
            kind = error_kind(exc)
            if kind is ErrorKind.CONNECTION:
                raise
            if kind is ErrorKind.RESOURCES:
                log.warning("settling %d items failed (%s); going on with the others", len(items), exc)
                self.failures.append(exc)
                return
            if kind is not ErrorKind.DATA:  # a bug in our own storing code: the items are charged with it
                items = [(claim, Crashed(Stage.LOAD, exc)) for claim, _ in items]
                counts = await self._settle_retrying(db, items)
            else:
                log.warning("settling %d items failed (%s); settling them one by one", len(items), exc)
                counts = Counter()
                for claim, outcome in items:
                    try:
                        counts += await self._settle_retrying(db, [(claim, outcome)])
                    except Exception as one:
                        if error_kind(one) is not ErrorKind.DATA:
                            raise
                        counts += await self._settle_retrying(db, [(claim, Failed(self.step.store_error(claim, one)))])
        self.result.counts.update(counts)
        self.done += len(items)
        self.batches += 1
        log.info("%s", batch_line(self.step.queue.name, self.batches, self.done, self.total, counts, self._reasons))
        self._reasons = Counter()
        if self.progress:
            self.progress(len(items))

    async def _settle_retrying(self, db: DatabaseThread, items: Worked[C, T]) -> Counter[str]:
        for attempt in range(1, CONFLICT_RETRIES + 1):
            try:
                return await db.call(self._settle, items)
            except Exception as exc:
                if error_kind(exc) is not ErrorKind.CONFLICT or attempt == CONFLICT_RETRIES:
                    raise
                log.info("settle lost a race with another worker (%s); trying again", exc)
                await asyncio.sleep(0.2 * attempt)
        raise AssertionError("unreachable")

    def _settle(self, conn: Conn, items: Worked[C, T]) -> Counter[str]:
        """One transaction: statuses of the rows still held, what Done items made, rejects, counters."""
        started = time.perf_counter()
        step, queue, key = self.step, self.step.queue, self.step.key
        done = [(c, o.value) for c, o in items if isinstance(o, Done)]
        failed = [(c, o.reject) for c, o in items if isinstance(o, Failed)]
        excused = [(c, o) for c, o in items if isinstance(o, Later) and step.excused(c)]
        excused_ids = {id(c) for c, _ in excused}
        retry = [(c, o) for c, o in items if isinstance(o, Later | Crashed) and id(c) not in excused_ids]
        wait = self.settings.retry_failed_after_minutes * 60
        held = queue.settle(conn, self.worker, [key(c) for c, _ in done], queue.done_status)
        held |= queue.settle(conn, self.worker, [key(c) for c, _ in failed], queue.rejected_status)
        deferred = queue.defer(conn, self.worker, [key(c) for c, _ in retry], self.run_id,
                               self.settings.max_fetch_attempts, wait)
        held |= deferred.keys()
        postponed = queue.postpone(conn, self.worker, [key(c) for c, _ in excused], self.run_id, wait)
        held |= postponed
        counts = step.store(conn, [(c, v) for c, v in done if key(c) in held])
        rejects = [_about(r, c) for c, r in failed if key(c) in held]
        for claim, later in excused:
            if key(claim) not in held:
                continue
            counts[f"{queue.name}_host_parked"] += 1
            if later.reject.reason != Reason.HOST_PARKED:  # it was asked, and failed with its host
                rejects.append(_about(replace(later.reject, detail=f"{later.reject.detail} (its host is parked "
                                              "for the rest of this run: not counted as an attempt)"), claim))
        for claim, outcome in retry:
            if key(claim) not in held:
                continue
            given_up = deferred[key(claim)]
            what = "gave up" if given_up else "will retry in a later run"
            note = f"attempt {claim.attempts} of {self.settings.max_fetch_attempts}; {what}"
            if isinstance(outcome, Later):
                counts[f"{queue.name}_{'gave_up' if given_up else 'retry_later'}"] += 1
                rejects.append(_about(replace(outcome.reject, detail=f"{outcome.reject.detail} ({note})"), claim))
            else:
                counts["internal_errors"] += 1
                rejects.append(_about(Reject(outcome.stage, Reason.INTERNAL_ERROR, claim.url,
                                             f"{last_frame(outcome.error)} ({note})"), claim))
        reject_rows.insert(conn, rejects, self.run_id)
        self._reasons = Counter(r.reason for r in rejects)
        for reject in rejects:
            counts[f"rejected_{reject.stage}"] += 1
        counts["lease_lost"] += len(items) - len(held)
        counts.update(step.after_settle(conn))
        runs.add_stats(conn, self.run_id, counts, step.timings(time.perf_counter() - started))
        return Counter({k: v for k, v in counts.items() if v})


def batch_line(queue: str, batch: int, done: int, total: int | None, counts: Counter[str],
               reasons: Counter[str]) -> str:
    """One readable log line per settled batch: the running total, what it made, its rejects by reason."""
    made = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(counts.items())
                     if v and not k.startswith("rejected_")) or "nothing stored"
    line = f"{queue} batch {batch}: {done}/{total if total is not None else '?'} done; {made}"
    if reasons:
        line += "; rejected: " + ", ".join(f"{reason} {n}" for reason, n in reasons.most_common())
    return line


def _about(reject: Reject, claim: Claimed) -> Reject:
    """The reject, keyed to the claimed row it is about."""
    return replace(reject, url_hash=claim.url_hash, source_id=claim.source_id)


def drive(step: Step[C, T], url: str, settings: Settings, run_id: int, worker: str, quota: int | None = None,
          progress: Callable[[int], None] | None = None) -> StageResult:
    """Run a step's loop to the end in this thread (its own event loop)."""
    loop = Loop(step, url, settings, run_id, worker, math.inf if quota is None else quota, progress)
    return asyncio.run(loop.run())
