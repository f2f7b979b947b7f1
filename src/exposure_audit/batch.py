"""Run one function over many items as tasks, results handed back in input order.

Three ways, one interface (`ordered_map`):
- in this process (one worker, or one item);
- local worker processes (`concurrent.futures.ProcessPoolExecutor`), the default;
- an existing Dask distributed cluster (`scheduler="tcp://HOST:8786"`, or the address of a
  `dask.distributed.LocalCluster`), when the optional `distributed` package is installed
  (`pip install "exposure-audit[distributed]"`).

At most `window` tasks are in flight ahead of the next result to hand back, so the caller holds
a bounded number of results however many items there are, and each result is handed back (and
can be written and dropped) as soon as it and those before it are done. Worker processes live
for the whole run, so whatever a task caches in its process (the reference tables) is loaded
once per worker, not once per task.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from exposure_audit.errors import UsageError

T = TypeVar("T")
R = TypeVar("R")

SCHEDULER_ENV = "EXPOSURE_AUDIT_SCHEDULER"
WINDOW_PER_WORKER = 4
"""Tasks in flight per worker: enough to keep every worker busy while the head of the queue
is slower than the rest, few enough that the results waiting to be handed back stay small."""


def ordered_map(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    window: int | None = None,
) -> Iterator[R]:
    """`fn(item)` for each item, yielded in the order of `items`.

    `scheduler`: a Dask scheduler address; the cluster's workers run the tasks (`workers` is
    then ignored). Otherwise up to `workers` local processes (default `os.cpu_count()`, never
    more than there are items); one runs in this process. `fn` and the items must pickle
    (module-level function, plain data). Raises `UsageError` when the scheduler cannot be
    reached or `distributed` is not installed."""
    if scheduler:
        yield from _dask_map(fn, items, scheduler, window)
        return
    limit = workers if workers is not None else (os.cpu_count() or 1)
    limit = max(1, min(limit, len(items)))
    if limit == 1:
        yield from map(fn, items)
        return
    with ProcessPoolExecutor(max_workers=limit) as pool:
        yield from _windowed(pool.submit, fn, items, window or WINDOW_PER_WORKER * limit)


def _windowed(
    submit: Callable[..., Any], fn: Callable[[T], R], items: Iterable[T], window: int
) -> Iterator[R]:
    """Submit ahead up to `window` tasks; hand back the head's result when it is done."""
    pending: deque[Any] = deque()
    source = iter(items)
    for item in source:
        pending.append(submit(fn, item))
        if len(pending) >= window:
            break
    while pending:
        head = pending.popleft()
        result = head.result()
        release = getattr(head, "release", None)
        if release is not None:
            release()  # a Dask future: let the cluster forget the result
        for item in source:
            pending.append(submit(fn, item))
            break
        yield result


def _dask_map(
    fn: Callable[[T], R], items: Sequence[T], scheduler: str, window: int | None
) -> Iterator[R]:
    try:
        from distributed import Client
    except ImportError:
        raise UsageError(
            f"--scheduler {scheduler}: the Dask distributed package is not installed",
            'pip install "exposure-audit[distributed]", or drop --scheduler',
        ) from None
    try:
        client = Client(scheduler, timeout="10s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(
            f"--scheduler {scheduler}: cannot reach the Dask scheduler ({exc})",
            "check the address (tcp://HOST:8786) and that the scheduler is running",
        ) from None
    try:
        cores = sum(client.nthreads().values()) or 1
        # pure=False: the same BOM listed twice is two tasks, as in the local runs.
        yield from _windowed(
            lambda f, item: client.submit(f, item, pure=False),
            fn,
            items,
            window or WINDOW_PER_WORKER * cores,
        )
    finally:
        client.close()
