"""The filter widgets: the period picker (kept in the address bar, preset by links) and the organisation and complaint filters."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import streamlit as st

from lib import scope
from lib.db import local_now
from lib.errors import DomainError
from lib.kpis.common import KpiFilter
from lib.services import reports
from lib.ui.language import error_text, lang, tr
from lib.ui.org_scope import current_reach, org_options, scoped
from lib.vocab import BUSINESS_LINES, CATEGORIES, CHANNELS, SEVERITIES, VOCABULARIES, label

EARLIEST = date(2000, 1, 1)  # date inputs otherwise stop ten years back; records are kept for good


PERIODS = ("period_ytd", "period_month", "period_quarter", "period_last_year", "period_custom")
# "This year so far" holds a few days' records in early January: until the 15th the pages open on last
# year, the figures HQ reads then (the annual close); the year so far is one click away.
LAST_YEAR_UNTIL_DAY = 14


def default_period(today: date) -> str:
    """The period a page opens on: the year so far, except in the first two weeks of January."""
    return "period_last_year" if today.month == 1 and today.day <= LAST_YEAR_UNTIL_DAY else "period_ytd"


def period_bounds(choice: str, today: date) -> tuple[date, date]:
    if choice == "period_month":
        return today.replace(day=1), today
    if choice == "period_quarter":
        return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today
    if choice == "period_last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    return date(today.year, 1, 1), today


QUERY_LISTS = ("company", "city", "project", "business_line", "touchpoint", "channel", "category", "severity")


def _apply_query(prefix: str) -> None:
    """A link from the overview (?from=…&to=…&company=…) presets this page's filters, once per link:
    after that the user's own choices stand. Unknown values are ignored, never trusted; a company, city
    or project outside the user's scope (SPEC §11) refuses the whole link with a message."""
    params = st.query_params
    if not params:
        return
    # The scope is checked on every run while the link is in the address bar, not only on its first:
    # the refusal stands until the user leaves the link.
    try:
        scope.check_names(current_reach(), companies=params.get_all("company"), cities=params.get_all("city"),
                          projects=params.get_all("project"))
    except DomainError as exc:
        st.error(error_text(exc))
        st.stop()
    signature = (prefix, tuple(sorted((k, tuple(params.get_all(k))) for k in params.keys())))
    if st.session_state.get("crhq_query_applied") == signature:
        return
    st.session_state["crhq_query_applied"] = signature
    try:
        start, end = date.fromisoformat(params.get("from", "")), date.fromisoformat(params.get("to", ""))
    except ValueError:
        start = end = None
    if params.get("period") in PERIODS and params.get("period") != "period_custom":
        st.session_state[f"{prefix}_period"] = params.get("period")
    if ("from" in params or "to" in params) and not (start and end and _in_range(start, end)):
        st.warning(tr("err_link_dates", earliest=EARLIEST.isoformat(), latest=_latest().isoformat()))
    elif start and end:
        st.session_state[f"{prefix}_period"] = "period_custom"
        st.session_state[f"{prefix}_from"] = start
        st.session_state[f"{prefix}_to"] = end
    opts = org_options()
    allowed = {"company": opts["company"], "city": opts["city"], "project": opts["project"],
               "business_line": list(BUSINESS_LINES), "touchpoint": list(VOCABULARIES["touchpoint"]),
               "channel": list(CHANNELS), "category": list(CATEGORIES), "severity": list(SEVERITIES)}
    for name in QUERY_LISTS:
        values = [v for v in params.get_all(name) if v in allowed[name]]
        if values:
            st.session_state[f"{prefix}_{name}"] = values


def _latest() -> date:
    return date(local_now().year + 1, 12, 31)


def _in_range(start: date, end: date) -> bool:
    return EARLIEST <= start <= end <= _latest()


def period_picker(prefix: str) -> tuple[date, date]:
    _apply_query(prefix)
    today = local_now().date()  # the business's date (China), not the server's: they differ 8 hours a day on UTC
    cols = st.columns([2, 1, 1])
    state = st.session_state
    for key in (f"{prefix}_from", f"{prefix}_to"):  # a value the date widget would refuse (and keep refusing)
        if key in state and not (isinstance(state[key], date) and EARLIEST <= state[key] <= _latest()):
            state.pop(key)

    def preset(key: str, value) -> dict:  # a default only when a link has not already set the value
        return {} if key in state else {"default" if key.endswith("_period") else "value": value}

    default = default_period(today)
    choice = cols[0].segmented_control(tr("period"), PERIODS, format_func=tr, key=f"{prefix}_period",
                                       **preset(f"{prefix}_period", default)) or default
    start, end = period_bounds(choice, today)
    if choice == "period_custom":
        start = cols[1].date_input(tr("date_from"), key=f"{prefix}_from", min_value=EARLIEST, max_value=_latest(),
                                   **preset(f"{prefix}_from", today - timedelta(days=90)))
        end = cols[2].date_input(tr("date_to"), key=f"{prefix}_to", min_value=EARLIEST, max_value=_latest(),
                                 **preset(f"{prefix}_to", today))
    _keep_in_query(prefix, choice, start, end, default)
    return start, end


def _keep_in_query(prefix: str, choice: str, start: date, end: date, default: str) -> None:
    """The page's filters written to the address bar on every run (as Metabase and Explore do): a
    refresh keeps them and the address is a link to this view. Only values the user could choose go
    in (the pickers offer only the scope); a link naming others is refused by `_apply_query`."""
    state, params = st.session_state, st.query_params
    wanted: dict[str, list[str]] = {}
    if choice == "period_custom":
        wanted |= {"from": [start.isoformat()], "to": [end.isoformat()]}
    elif choice != default:  # a link without a period opens on the default of the day it is opened
        wanted["period"] = [choice]
    for name in QUERY_LISTS:  # the lists' widgets hold this run's values already (set before the script runs)
        values = state.get(f"{prefix}_{name}")
        if values:
            wanted[name] = [str(v) for v in values]
    managed = {"from", "to", "period", *QUERY_LISTS}
    kept = {k: params.get_all(k) for k in params.keys() if k not in managed}
    if {k: params.get_all(k) for k in params.keys() if k in managed} != wanted:
        params.from_dict({**kept, **wanted})
    # What is written is applied already: the next run must not re-apply it over the user's next choice.
    state["crhq_query_applied"] = (prefix, tuple(sorted((k, tuple(v)) for k, v in {**kept, **wanted}.items())))


def make_filter(start: date, end: date, **lists) -> KpiFilter:
    values = {k: (tuple(v) if isinstance(v, list) else v) for k, v in lists.items()}
    return scoped(KpiFilter(start=start, end=end, **values))


def month_filter(flt: KpiFilter, month: str) -> KpiFilter:
    """The filter narrowed to one "YYYY-MM" month (and still inside its own period)."""
    whole = reports.month_filter(month)
    return replace(flt, start=max(whole.start, flt.start), end=min(whole.end, flt.end))


def complaint_filters(prefix: str) -> KpiFilter:
    """Period plus the eight complaint filters of issue #3, laid out in four columns."""
    start, end = period_picker(prefix)
    opts = org_options()

    def many(col, name: str, options, vocabulary: str | None = None):
        return multi(col, prefix, name, options, vocabulary)

    c1, c2, c3, c4 = st.columns(4)
    responsible = c4.selectbox(tr("responsible"), ["all", "yes", "no"], format_func=tr, key=f"{prefix}_responsible")
    return scoped(KpiFilter(
        start=start, end=end,
        companies=many(c1, "company", opts["company"]), cities=many(c2, "city", opts["city"]),
        projects=many(c3, "project", opts["project"]),
        business_lines=many(c4, "business_line", list(BUSINESS_LINES), "business_line"),
        channels=many(c1, "channel", list(CHANNELS), "channel"),
        categories=many(c2, "category", list(CATEGORIES), "category"),
        severities=many(c3, "severity", list(SEVERITIES), "severity"),
        responsible={"all": None, "yes": True, "no": False}[responsible],
    ))


def multi(col, prefix: str, name: str, options, vocabulary: str | None = None) -> tuple:
    """A multiselect whose empty choice means "all", with vocabulary codes shown as labels."""
    language = lang()
    fmt = (lambda c: label(vocabulary, c, language)) if vocabulary else str
    # No Streamlit "Select all" (English, and the same as choosing nothing here: empty means all)
    return tuple(col.multiselect(tr(name), options, format_func=fmt, key=f"{prefix}_{name}", placeholder=tr("all"),
                                 select_all=False))


def org_filters(prefix: str, **extra: tuple[str, list, str | None]) -> KpiFilter:
    """Period, company, city and project, plus extra lists given as field=(label key, options, vocabulary)."""
    start, end = period_picker(prefix)
    opts = org_options()
    cols = st.columns(3 + len(extra))
    values = {"companies": multi(cols[0], prefix, "company", opts["company"]),
              "cities": multi(cols[1], prefix, "city", opts["city"]),
              "projects": multi(cols[2], prefix, "project", opts["project"])}
    for col, (field, (name, options, vocabulary)) in zip(cols[3:], extra.items(), strict=True):
        values[field] = multi(col, prefix, name, options, vocabulary)
    return scoped(KpiFilter(start=start, end=end, **values))
