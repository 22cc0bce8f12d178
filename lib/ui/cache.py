"""The engine and the cached reads: keyed by database URL and data version, warmed off any request, cleared after writes."""
from __future__ import annotations

import importlib
import os
import threading
from functools import partial

import streamlit as st
from sqlalchemy.engine import Engine

from lib import analytics, auth, scope, warm
from lib.config import get_settings
from lib.db import local_now, make_engine, session_scope
from lib.kpis.common import KpiFilter
from lib.services import demo, users


@st.cache_resource(show_spinner=False)
def engine_for(url: str, demo_mode: bool) -> Engine:
    """One engine per process and database URL; the first call migrates (and seeds in demo mode)."""
    engine = make_engine(url)
    demo.bootstrap(engine, demo_mode=demo_mode)
    # A large database whose analytic mirror is missing or of an older format (an upgrade) rebuilds it
    # now, off any request, rather than when the first reader asks (4 minutes at 5M rows).
    analytics.refresh_in_background(engine)
    # Issue #23 item 14: the overview of every active user's scope is computed now, off any request, and
    # the reads pages make are computed again before they go stale (lib.warm).
    if os.environ.get("CRHQ_WARM_CACHES", "1") != "0":  # off in the page tests (one process, many databases)
        _warmer(url).start(partial(_warm_overviews, url, engine))
    return engine


def get_engine() -> Engine:
    settings = get_settings()
    return engine_for(settings.database_url, settings.demo_mode)


DATA_VERSION = "crhq_data_version"  # (script run, version) of this browser session


def clear_caches() -> None:
    st.cache_data.clear()
    for warmer in _WARMERS.values():
        warmer.forget_warmed()
    st.session_state.pop(DATA_VERSION, None)


def data_key() -> tuple:
    """What every cached read is keyed by: the database URL and its data version (lib.freshness), read
    once per script run. A write from any process (a page, a CLI import, a notify run) changes the
    version, so the next view reads afresh instead of serving the old figure until the TTL (issue #27)."""
    from lib.freshness import data_version

    run = st.session_state.get(auth.RUN_COUNTER)
    memo = st.session_state.get(DATA_VERSION)
    if run is not None and memo is not None and memo[0] == run:
        return get_settings().database_url, memo[1]
    with session_scope(get_engine(), readonly=True) as session:
        version = data_version(session)
    if run is not None:
        st.session_state[DATA_VERSION] = (run, version)
    return get_settings().database_url, version


@st.cache_data(ttl=2 * warm.STEP, max_entries=2000, show_spinner=False)
def _cached(data: tuple, target: str, generation: int, *args, **kwargs):
    module, name = target.split(":")
    fn = getattr(importlib.import_module(module), name)
    with session_scope(engine_for(data[0], get_settings().demo_mode), readonly=True) as session:
        return fn(*args, session=session, **kwargs)


def cached(fn, *args, **kwargs):
    """A cached read-only service call, keyed by database URL, data version, the clock's generation and
    arguments; cleared after every write here, and read afresh after a write anywhere (`data_key`, issue
    #27). The read is remembered and computed again on a background thread before the next generation
    starts (lib.warm, issue #23), so a page's reads stay warm while it is used."""
    data, target = data_key(), f"{fn.__module__}:{fn.__qualname__}"
    _warmer(data[0]).used(repr((target, args, sorted(kwargs.items()))), target, args, kwargs)
    return _cached(data, target, warm.generation(), *args, **kwargs)


def _version_key(url: str) -> tuple:
    """`data_key` off any request (the warming thread): the URL and the data version as it is now."""
    from lib.freshness import data_version

    with session_scope(engine_for(url, get_settings().demo_mode), readonly=True) as session:
        return url, data_version(session)


_WARMERS: dict[str, warm.Warmer] = {}


_WARMERS_LOCK = threading.Lock()


def _warmer(url: str) -> warm.Warmer:
    with _WARMERS_LOCK:
        if url not in _WARMERS:
            _WARMERS[url] = warm.Warmer(
                lambda gen, target, args, kwargs: _cached(_version_key(url), target, gen, *args, **kwargs))
        return _WARMERS[url]


def _warm_overviews(url: str, engine: Engine) -> None:
    """At server start: the overview as each active user's scope first sees it (the default period, the
    same arguments app.py passes), into the current generation's cache and the warmer's list."""
    from lib.services import overview  # the overview's own module (heavy imports, needed only here)
    from lib.ui.filters import default_period, period_bounds  # read through this module, imported once
    from lib.ui.org_scope import _reach

    with session_scope(engine, readonly=True) as session:
        scopes = users.active_scopes(session=session)
    today = local_now().date()
    start, end = period_bounds(default_period(today), today)
    target = f"{overview.board.__module__}:{overview.board.__qualname__}"
    data = _version_key(url)
    for text in scopes[:warm.START_SCOPES]:
        reach = _reach(url, text)
        flt = scope.limited(KpiFilter(start=start, end=end), reach)
        _warmer(url).used(repr((target, (flt,), [("reach", reach)])), target, (flt,), {"reach": reach})
        _cached(data, target, warm.generation(), flt, reach=reach)
