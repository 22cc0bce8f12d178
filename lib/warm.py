"""Keeping the read caches warm (issue #23 item 14): the reads pages made recently are computed again on
a background thread before their cache entries go stale, and the overview's default view of every
signed-in scope is computed when the server starts — so no user waits for a cold cache.

Cached reads are keyed by a *generation* (the wall clock in steps of `STEP` seconds). A page always asks
for the current generation; this module's thread asks for the next one shortly before it begins, so
when the clock moves on the entry is already there. (Streamlit's own TTL cannot be refreshed ahead: an
entry expires on the read that finds it stale, i.e. in a user's wait, and entries made together expired
together — the cold overview after ~5 minutes idle.) A read nobody asked for in `IDLE` seconds is dropped,
so an idle server stops querying. No streamlit import: the cache itself is handed in as `compute`."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

STEP = 300.0  # seconds per generation: a cached read is at most this old (plus LEAD), as with the old TTL
LEAD = 45.0  # the next generation is computed this long before it starts
IDLE = 1800.0  # a read nobody made for this long is no longer kept warm
LIMIT = 300  # reads remembered at most (the least recently used go first)
TICK = 10.0
START_SCOPES = 20  # at start, the overview of at most this many distinct user scopes (the group first)

log = logging.getLogger(__name__)
Compute = Callable[[int, str, tuple, dict], Any]  # (generation, target, args, kwargs) → value (cached)


def generation(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP)


@dataclass
class _Read:
    target: str
    args: tuple
    kwargs: dict
    used: float
    warmed: int = -1  # the last generation computed ahead


@dataclass
class Warmer:
    """The reads to keep warm for one database URL, and the thread that keeps them."""
    compute: Compute
    reads: dict[str, _Read] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    thread: threading.Thread | None = None

    def used(self, key: str, target: str, args: tuple, kwargs: dict, now: float | None = None) -> None:
        """A page made this read (`key`: a stable text of target and arguments)."""
        now = time.time() if now is None else now
        with self.lock:
            read = self.reads.pop(key, None) or _Read(target, args, kwargs, now)
            read.used = now
            read.warmed = max(read.warmed, generation(now))  # the page itself computes the current generation
            self.reads[key] = read  # dicts keep insertion order: the last used is last
            while len(self.reads) > LIMIT:
                self.reads.pop(next(iter(self.reads)))

    def due(self, now: float) -> list[tuple[int, _Read]]:
        """The reads to compute now: (generation, read) for each recent read whose next generation starts
        within LEAD and is not made yet. Reads idle for IDLE are forgotten."""
        upcoming = generation(now + LEAD)
        with self.lock:
            for key in [k for k, r in self.reads.items() if now - r.used > IDLE]:
                del self.reads[key]
            return [(upcoming, r) for r in self.reads.values() if r.warmed < upcoming]

    def tick(self, now: float | None = None) -> int:
        """Compute what is due; returns how many reads were computed. A failing read is logged, not fatal."""
        done = 0
        for gen, read in self.due(time.time() if now is None else now):
            try:
                self.compute(gen, read.target, read.args, read.kwargs)
                done += 1
            except Exception:  # a read that fails here fails again, visibly, on its page
                log.exception("warming %s failed", read.target)
            read.warmed = gen
        return done

    def forget_warmed(self) -> None:
        """After the caches were cleared (a write): what was computed ahead is gone, compute it again."""
        with self.lock:
            for read in self.reads.values():
                read.warmed = -1

    def start(self, first: Callable[[], None] | None = None) -> threading.Thread:
        """The background thread: `first` (the start-up reads) once, then a tick every TICK seconds."""
        def run() -> None:
            if first is not None:
                try:
                    first()
                except Exception:
                    log.exception("warming at start failed")
            while True:
                self.tick()
                time.sleep(TICK)

        if self.thread is None or not self.thread.is_alive():
            self.thread = threading.Thread(target=run, name="crhq-cache-warmer", daemon=True)
            self.thread.start()
        return self.thread
