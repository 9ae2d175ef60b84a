"""How far a sweep is (:func:`~rnnrnade_pt.sweep.run_tasks`): as each of its jobs and tasks finishes, how
many are done, running and left, the time elapsed and an estimate of the time left; and the one line an
experiment script prints of it (:func:`format_progress`).

The estimate is the mean wall time of the jobs finished so far that trained (not reused, not failed) times
the jobs not finished, plus the mean time of the finished tasks times the tasks not finished, over the
number of workers; unknown until one of each kind still to come has finished.
"""

from __future__ import annotations

import inspect
import logging
import statistics
import time
from collections.abc import Callable, Sequence
from typing import NamedTuple

from .tables import fmt_duration

__all__ = ["Progress", "format_progress", "Tally", "reporter"]

logger = logging.getLogger(__name__)


class Progress(NamedTuple):
    """Where a sweep stands when one of its jobs or tasks (``last``, its name) has just finished.

    ``done`` (those that ``failed`` included), ``running`` and ``left`` (not started) count jobs and tasks
    together; ``elapsed`` is the seconds since the sweep began, ``remaining`` the estimated seconds left
    (None while jobs, or tasks, are still to come and none of their kind has finished to be timed).
    """

    last: str
    done: int
    running: int
    left: int
    failed: int
    elapsed: float
    remaining: float | None


def format_progress(p: Progress) -> str:
    """The one line an experiment script prints as a sweep goes on: ``"mocap-K=2 finished: 3/12 done, 2
    running, 7 left; 4 min 10 s elapsed, about 12 min 30 s left"`` (``time left unknown`` before there is
    an estimate, nothing once all are done; ``(1 failed)`` after ``done`` when some failed)."""
    failed = f" ({p.failed} failed)" if p.failed else ""
    eta = "time left unknown" if p.remaining is None else f"about {fmt_duration(p.remaining)} left"
    total = p.done + p.running + p.left
    line = f"{p.last} finished: {p.done}/{total} done{failed}, {p.running} running, {p.left} left; "
    return line + fmt_duration(p.elapsed) + (" elapsed" if p.done == total else f" elapsed, {eta}")


class Tally:
    """The counts and the estimate of :class:`Progress` (see the module docstring) of a sweep of ``jobs``
    (anything with a ``name``) and ``tasks`` (with a ``name`` and the name of the job they follow,
    ``after``), started now."""

    def __init__(self, jobs: Sequence, tasks: Sequence = ()):
        self.start = time.perf_counter()
        self.jobs_left = {j.name for j in jobs}
        self.tasks_left = {t.name: t.after for t in tasks}
        self.seconds: dict[str, list[float]] = {"job": [], "task": []}
        self.done = self.failed = 0

    def finish(self, record: dict, slots: int) -> Progress:
        """Count ``record`` (a job's summary or a task's record, by its ``name``) as finished; ``slots``:
        how many jobs or tasks can run at once now (the workers' threads). A job's time is its summary's
        ``wall_seconds`` (unless ``reused``), a task's its ``seconds``; failed ones (``error``) count as
        done but give no time."""
        name, slots = record["name"], max(slots, 1)
        if name in self.jobs_left:
            self.jobs_left.remove(name)
            kind, seconds = "job", None if record.get("reused") else record.get("wall_seconds")
        else:
            del self.tasks_left[name]
            kind, seconds = "task", record.get("seconds")
        self.done += 1
        self.failed += "error" in record
        if seconds is not None and "error" not in record:
            self.seconds[kind].append(float(seconds))
        ready = len(self.jobs_left) + sum(after not in self.jobs_left for after in self.tasks_left.values())
        running = min(slots, ready)
        to_come = {"job": len(self.jobs_left), "task": len(self.tasks_left)}
        remaining = None
        if all(self.seconds[k] for k, n in to_come.items() if n):
            remaining = sum(n * statistics.fmean(self.seconds[k]) for k, n in to_come.items() if n) / slots
        left = sum(to_come.values()) - running
        elapsed = time.perf_counter() - self.start
        return Progress(name, self.done, running, left, self.failed, elapsed, remaining)


def reporter(progress: Callable | bool | None) -> Callable[[dict, Progress], None]:
    """``progress`` (:func:`~rnnrnade_pt.sweep.run_tasks`'s) as a function of (record, :class:`Progress`):
    a callable that takes a single argument gets the record alone (as before there was a Progress);
    ``True`` logs the line at INFO (with the record's error, test results or result); None does nothing."""
    if progress is None or progress is False:
        return lambda record, p: None
    if progress is True:

        def log(record: dict, p: Progress) -> None:
            detail = record.get("error", record.get("test", record.get("result")))
            logger.info("%s (%s)", format_progress(p), detail)

        return log
    try:
        inspect.signature(progress).bind(None, None)
    except (TypeError, ValueError):  # one argument, or no signature to read
        return lambda record, p: progress(record)
    return progress
