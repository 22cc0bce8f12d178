"""The signed-in user's organisation scope (SPEC §11): what it reaches, filters limited to it, the choices inside it."""
from __future__ import annotations

import streamlit as st

from lib import scope
from lib.db import session_scope
from lib.errors import DomainError
from lib.kpis.common import KpiFilter
from lib.services import org
from lib.ui.cache import data_key, get_engine
from lib.ui.language import error_text, tr

CURRENT_USER = "crhq_current_user"  # set by page_setup on every run, from the database


def current_scope() -> scope.Scope:
    """The signed-in user's scope; before page_setup has run (never on a page), nothing at all."""
    user = st.session_state.get(CURRENT_USER)
    return user.scope if user is not None else scope.Scope(companies=("\x00",))


@st.cache_data(ttl=60, show_spinner=False)
def _reach(data: tuple, scope_text: str) -> scope.Reach:
    with session_scope(get_engine(), readonly=True) as session:
        return scope.reach(scope.parse(scope_text), session=session)


def current_reach() -> scope.Reach:
    """What the signed-in user's scope covers: project and company ids, and the names they may filter on."""
    return _reach(data_key(), current_scope().as_text())


def scope_text(value: scope.Scope) -> str:
    """A scope as the user reads it: 集团（全部） / Group, or its entries by kind, in the user's language."""
    if value.is_group:
        return tr("scope_group")
    parts = [(tr("scope_region"), value.regions), (tr("scope_company"), value.companies),
             (tr("scope_project"), tuple(f"{c}/{p}" for c, p in value.projects))]
    return "; ".join(f"{name} {'、'.join(items)}" for name, items in parts if items)


def scoped(flt: KpiFilter) -> KpiFilter:
    """`flt` limited to the signed-in user's scope. A filter naming anything outside it is refused
    with a message and the page stops: never silently widened or emptied."""
    r = current_reach()
    if r.is_group:
        return flt
    try:
        scope.check_names(r, companies=flt.companies, cities=flt.cities, projects=flt.projects)
    except DomainError as exc:
        st.error(error_text(exc))
        st.stop()
    return scope.limited(flt, r)


@st.cache_data(ttl=300, show_spinner=False)
def _org_options(data: tuple, scope_text: str) -> dict:
    with session_scope(get_engine(), readonly=True) as session:
        return org.options(session=session, reach=scope.reach(scope.parse(scope_text), session=session))


def org_options() -> dict:
    """Filter choices: the companies, cities and projects inside the signed-in user's scope."""
    return _org_options(data_key(), current_scope().as_text())


@st.cache_data(ttl=300, show_spinner=False)
def _project_choices(data: tuple, scope_text: str) -> dict[int, str]:
    with session_scope(get_engine(), readonly=True) as session:
        choices = org.project_choices(session=session)
        r = scope.reach(scope.parse(scope_text), session=session)
    return choices if r.is_group else {pid: name for pid, name in choices.items() if pid in r.projects}


def project_choices() -> dict[int, str]:
    """Projects a form may write to: those inside the signed-in user's scope (SPEC §11)."""
    return _project_choices(data_key(), current_scope().as_text())
