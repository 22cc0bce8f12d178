"""Shared page machinery, one module per concern; `from lib import ui` then `ui.name(...)` on every page.

language       the user's language, UI strings, domain errors as messages
cache          the engine, cached service reads (data version, warming), clearing after writes
org_scope      the signed-in user's scope: reach, scoped filters, choices inside it
filters        period picker (address bar, links), organisation and complaint filters
flash          messages for the next run
service_calls  uncached reads and writes in their own session
records        the complaint register's rows and pages, event histories
reveal         revealing personal data, audited
downloads      row downloads and exports, audited, expired once taken
imports_panel  upload, dry run, import
charts         charts from cached specs, picked points, card deltas
page           page setup, login gate, sidebar, language switch
signals_panel  the risk signals panel

A test that replaces a function replaces it in the module that defines it (`lib.ui.language.lang`),
not here: the modules call each other, not this package.
"""
from lib.ui.cache import DATA_VERSION, cached, clear_caches, data_key, engine_for, get_engine
from lib.ui.charts import chart, delta, delta_rate, picked
from lib.ui.downloads import DOWNLOAD_LIFETIME_S, audit_export, row_export
from lib.ui.filters import (
    EARLIEST,
    PERIODS,
    QUERY_LISTS,
    complaint_filters,
    make_filter,
    month_filter,
    multi,
    org_filters,
    period_bounds,
    period_picker,
)
from lib.ui.flash import flash, show_flash
from lib.ui.imports_panel import import_columns_text, import_file, import_panel
from lib.ui.language import error_text, lang, tr
from lib.ui.org_scope import (
    CURRENT_USER,
    current_reach,
    current_scope,
    org_options,
    project_choices,
    scope_text,
    scoped,
)
from lib.ui.page import UNREAD_KEY, forget_unread_count, page_path, page_setup, streamlit_text_css, unread_ttl
from lib.ui.records import (
    COMPLAINT_VOCAB,
    PAGE_ROWS,
    complaint_categories,
    complaint_list,
    complaint_page,
    present_complaints,
    present_events,
)
from lib.ui.reveal import reveal, reveal_toggled
from lib.ui.service_calls import read, write
from lib.ui.signals_panel import signals_panel

__all__ = [
    "COMPLAINT_VOCAB", "CURRENT_USER", "DATA_VERSION", "DOWNLOAD_LIFETIME_S", "EARLIEST", "PAGE_ROWS",
    "PERIODS", "QUERY_LISTS", "UNREAD_KEY", "audit_export", "cached", "chart", "clear_caches",
    "complaint_categories", "complaint_filters", "complaint_list", "complaint_page", "current_reach",
    "current_scope", "data_key", "delta", "delta_rate", "engine_for", "error_text", "flash",
    "forget_unread_count", "get_engine", "import_columns_text", "import_file", "import_panel", "lang",
    "make_filter", "month_filter", "multi", "org_filters", "org_options", "page_path", "page_setup",
    "period_bounds", "period_picker", "picked", "present_complaints", "present_events", "project_choices",
    "read", "reveal", "reveal_toggled", "row_export", "scope_text", "scoped", "show_flash", "signals_panel",
    "streamlit_text_css", "tr", "unread_ttl", "write",
]
