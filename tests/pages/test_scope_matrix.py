"""The scope matrix (SPEC §11, issue #22): every scoped user × every page they may open × both languages,
on SQLite and PostgreSQL. Everything that reaches the browser is collected — every string and byte
field of every element's protobuf (text, metric values, input options and values, tables' Arrow bytes
decoded, chart specs and their Arrow datasets), every download as the browser fetches it (Excel
workbooks cell by cell) and the monthly report workbook — and no marker of anything outside the
user's scope may be in it, while markers inside the scope must be (the scan looked at real data).

The fixture (tests/pages/scope_fixture.py) is four companies in three regions with marker strings
and figures of their own; scopes are stored on the users in the database, the session carries only
the login (as after a real login)."""
from __future__ import annotations

import io
import json
import os
import re
import time

import pyarrow as pa
import pytest

from lib import config, ui
from lib.db import make_engine, session_scope
from lib.i18n import format_number, kpi_label, t
from lib.pages import BY_ID, PAGES, may_open
from lib.schema import init_db
from lib.services import explore
from lib.ui import downloads, language
from tests.pages import scope_fixture as F
from tests.pages.conftest import ROOT
from tests.pages.test_real_path_permissions import _settle_downloads

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="module", params=BACKENDS)
def fx(request, tmp_path_factory, app_database):
    """The fixture group in its own database, which the pages use for this module (DATABASE_URL)."""
    closing = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('scope') / 'scope.db'}"
        engine = make_engine(url)
    else:
        from tests.conftest import _postgres_engine

        closing = _postgres_engine()
        engine = next(closing)
        url = engine.url.render_as_string(hide_password=False)
    init_db(engine)
    with session_scope(engine) as session:
        fixture = F.build(session, url)
    old = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    config.get_settings.cache_clear()
    _VISITS.clear()
    _settle_downloads()
    with pytest.MonkeyPatch.context() as patch:
        # Taken downloads expire 3 s later (downloads._expire_soon): a visit fetches every file at once, as the
        # browser would, and a timer from one page firing during the next page's run dropped its files.
        patch.setattr(downloads, "_expire_soon", lambda: None)
        patch.setattr(downloads, "_expire_taken_downloads", lambda: None)
        patch.setattr(language, "lang", _lang_in_tests)  # what ui.tr reads
        # Each AppTest run has its own media manager, dropped when the run ends (freed at once, or at the
        # next garbage collection): kept here so that a download is fetched as the browser fetches it,
        # from the manager of the run that drew the button.
        from streamlit.runtime.media_file_manager import MediaFileManager
        real_init = MediaFileManager.__init__

        def keep(self, *args, **kwargs):
            real_init(self, *args, **kwargs)
            _MANAGERS.append(self)
        patch.setattr(MediaFileManager, "__init__", keep)
        yield fixture
    _VISITS.clear()
    _MANAGERS.clear()
    os.environ["DATABASE_URL"] = old
    config.get_settings.cache_clear()
    engine.dispose()
    if closing is not None:
        next(closing, None)


_LANG = {"now": "zh"}
_real_lang = ui.lang


def _lang_in_tests() -> str:
    """ui.lang, but outside a script run (AppTest serialising a widget between runs calls its format_func,
    ui.tr, there) the language of the user under test, not the default Chinese."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    return _real_lang() if get_script_run_ctx() is not None else _LANG["now"]


_MANAGERS: list = []


def _fetch(button) -> bytes:
    """The bytes behind a download button: an eager file's stored content, or what the deferred callable
    makes when the browser asks for it (outside any script run, as Streamlit's DeferredFileHandler does)."""
    file_id = button.proto.deferred_file_id
    for manager in reversed(_MANAGERS):
        if file_id:
            if file_id in manager._deferred_callables:
                url = manager.execute_deferred(file_id)
                return manager._storage.get_file(url.rsplit("/", 1)[-1].split(".")[0]).content
        else:
            try:
                return manager._storage.get_file(button.proto.url.rsplit("/", 1)[-1].split(".")[0]).content
            except Exception:  # noqa: BLE001 - another run's manager
                continue
    raise LookupError(f"no file behind {button.key}")


# ---- everything that reaches the browser ----------------------------------------------------------
HEX = re.compile(r"[0-9a-fA-F]{16,}")  # element ids, media URLs and hashes: noise a figure could hide in


def _bytes_text(data: bytes) -> str:
    try:
        return pa.ipc.open_stream(data).read_pandas().to_csv()
    except Exception:  # noqa: BLE001 - not Arrow: whatever text it holds
        return data.decode("utf-8", "ignore")


def _string_text(value: str) -> str:
    if value[:1] in "{[":  # a chart spec or JSON element: its \\uXXXX escapes as the text they stand for
        try:
            return json.dumps(json.loads(value), ensure_ascii=False)
        except ValueError:
            pass
    return value


def _proto_strings(message, out: list[str]) -> None:
    for fd, value in message.ListFields():
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            for k, v in value.items():
                out.append(str(k))
                if hasattr(v, "ListFields"):
                    _proto_strings(v, out)
                else:
                    out.append(_bytes_text(v) if isinstance(v, bytes) else str(v))
            continue
        repeated = not isinstance(value, (str, bytes)) and not hasattr(value, "ListFields") and hasattr(value, "__len__")
        values = value if repeated else [value]
        for v in values:
            if fd.type == fd.TYPE_MESSAGE:
                _proto_strings(v, out)
            elif fd.type == fd.TYPE_BYTES:
                out.append(_bytes_text(v))
            elif fd.type == fd.TYPE_STRING:
                out.append(_string_text(v))
            else:
                out.append(str(v))


def _download_text(data: bytes) -> str:
    if data[:2] == b"PK":  # xlsx: every cell of every sheet
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data), read_only=True)
        return "\n".join(str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                         for c in row if c is not None)
    return data.decode("utf-8-sig", "ignore")


def _on_page(at, downloads: dict[str, str]) -> str:
    """Every element's strings and decoded bytes, plus the data behind every download button."""
    out, stack = [], [at._tree]
    while stack:
        node = stack.pop()
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ListFields"):
            _proto_strings(proto, out)
        stack.extend(getattr(node, "children", {}).values())
    for button in at.get("download_button"):
        if button.key not in downloads:
            downloads[button.key] = _download_text(_fetch(button))
        out.append(downloads[button.key])
    return "\n".join(out)


def _app(script: str, username: str):
    from streamlit.testing.v1 import AppTest

    _LANG["now"] = "en" if username.endswith("_en") else "zh"
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if script != "app.py":
        at.switch_page(script)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["name"] = username
    at.session_state["roles"] = [F.USERS[username.removesuffix("_en")][0]]
    return at


def _run(at):
    at.run()
    assert not at.exception, at.exception
    return at


class Visit:
    """One user's look at one page, with the clicks that bring more data to it."""

    def __init__(self, fx: F.Fixture, page_id: str, username: str):
        self.page_id, self.username = page_id, username
        self.role = F.USERS[username.removesuffix("_en")][0]
        self.texts, self.metrics, self.tables, self.errors = [], [], [], []
        self.downloads: dict[str, str] = {}
        at = _run(_app(BY_ID[page_id].path, username))
        self._keep(at)
        if not may_open(self.role, page_id):
            return
        writer = self.role in ("staff", "admin")
        if page_id == "overview":
            at.selectbox(key="overview_report_month").set_value(F.REPORT_MONTH)
            at.button(key="overview_report_prepare").click()
            self._keep(_run(at))
        elif page_id == "register":
            at.session_state["reg_open_ref"] = fx.first_ref(username)
            self._keep(_run(at))
            if writer:
                at.button(key="reg_reveal").click()
                self._keep(_run(at))
        elif page_id == "issues":
            at.session_state["iss_view"] = "all"
            self._keep(_run(at))
            at.session_state["iss_open_ref"] = fx.first_issue(username)
            self._keep(_run(at))
            if writer and [b for b in at.button if b.key == "iss_reveal"]:
                at.button(key="iss_reveal").click()
                self._keep(_run(at))
        elif page_id == "supervisors" and writer:
            at.toggle(key="sup_reveal_phones").set_value(True)
            self._keep(_run(at))
        elif page_id == "explore":
            for name, ds in explore.DATASETS.items():
                at.selectbox(key="exp_dataset").set_value(name)
                _run(at)
                at.selectbox(key="exp_by").set_value("company")
                _run(at)
                second = "project" if "project" in ds.dimensions else "department"
                at.selectbox(key="exp_by2").set_value(second)
                self._keep(_run(at))

    def _keep(self, at) -> None:
        self.texts.append(_on_page(at, self.downloads))
        self.metrics += [(m.label, m.value) for m in at.metric]
        self.errors += [e.value for e in at.error]
        self.tables += [d.value for d in at.dataframe]

    @property
    def text(self) -> str:
        return HEX.sub(" ", "\n".join(self.texts))


_VISITS: dict[tuple[str, str], Visit] = {}
_TIMES: dict[tuple[str, str], float] = {}


def visit(fx: F.Fixture, page_id: str, username: str) -> Visit:
    key = (page_id, username)
    if key not in _VISITS:
        started = time.perf_counter()
        _VISITS[key] = Visit(fx, page_id, username)
        _TIMES[key] = time.perf_counter() - started
    return _VISITS[key]


def found(marker: F.Marker, text: str) -> bool:
    if marker.number:
        n = int(marker.text)
        return re.search(rf"(?<![\d.])(?:{n}|{n:,})(?!\d)", text) is not None
    return marker.text in text


def _context(marker: F.Marker, text: str) -> str:
    i = text.find(marker.text)
    return text[max(0, i - 80): i + 80].replace("\n", " ⏎ ") if i >= 0 else ""


# ---- the matrix -------------------------------------------------------------------------------
PAGE_IDS = [p.page_id for p in PAGES]
USERS = [u + suffix for u in F.SCOPED for suffix in ("", "_en")]


@pytest.mark.parametrize("username", USERS)
@pytest.mark.parametrize("page_id", PAGE_IDS)
def test_nothing_outside_the_scope_reaches_the_user(fx, page_id, username):
    v = visit(fx, page_id, username)
    text = v.text
    forbidden, allowed = fx.split(username)
    leaks = [(m.text, m.company, m.project, _context(m, text)) for m in forbidden if found(m, text)]
    assert not leaks, f"{username} on {page_id}: {len(leaks)} out-of-scope markers, e.g. {leaks[:5]}"
    if not may_open(v.role, page_id):
        assert v.errors and not v.tables and not v.metrics  # refused, nothing drawn
        return
    seen = [m.text for m in allowed if not m.number and found(m, text)]
    assert seen, f"{username} on {page_id}: no in-scope marker at all (an empty page proves nothing)"


def _language(username: str) -> str:
    return "en" if username.endswith("_en") else "zh"


@pytest.mark.parametrize("username", USERS + ["grp_staff", "grp_staff_en"])
def test_the_complaint_count_is_the_scopes_own(fx, username):
    """The figure on the cards is the hand-counted number of complaints in the scope (17, 6, 31, 37, 11, 59
    per project): not the group's 161 nor any other company's."""
    expected = format_number(fx.complaint_count(username))
    lang = _language(username)
    complaints = dict(visit(fx, "complaints", username).metrics)
    assert complaints[kpi_label("complaints", lang)] == expected
    overview = dict(visit(fx, "overview", username).metrics)
    assert overview[t("kpi_complaints", lang)] == expected


@pytest.mark.parametrize("username", USERS + ["grp_staff"])
def test_the_register_lists_exactly_the_scopes_complaints(fx, username):
    projects, _ = fx.visible(username)
    expected = {r for p in projects for r in fx.complaint_refs[p]}
    table = visit(fx, "register", username).tables[0]
    assert set(table[t("col_ref", _language(username))]) == expected


@pytest.mark.parametrize("username", USERS + ["grp_staff"])
def test_the_league_shows_only_the_scopes_own_companies_with_their_rank_among_all(fx, username):
    """SPEC §11: ranked over the four companies, a scoped reader gets its whole companies' rows only, each
    with "rank / 4"; a reader scoped to one project has no company of its own in the league."""
    lang = _language(username)
    _, whole = fx.visible(username)
    league = next((d for d in visit(fx, "overview", username).tables if t("rank", lang) in d.columns), None)
    if not whole:
        assert league is None
        return
    assert set(league[t("company", lang)]) == whole
    assert all(re.fullmatch(r"[1-4] / 4", r) for r in league[t("rank", lang)]), list(league[t("rank", lang)])


@pytest.mark.parametrize("username", USERS)
def test_the_monthly_report_workbook_was_scanned_and_holds_the_scopes_data(fx, username):
    v = visit(fx, "overview", username)
    assert "overview_report_dl" in v.downloads  # every cell of it is in the matrix's scan
    projects, whole = fx.visible(username)
    report = v.downloads["overview_report_dl"]
    assert any(p in report or fx.project_company()[p] in report for p in projects)


@pytest.mark.parametrize("username", [u for u in USERS if not u.endswith("_en")])
def test_every_company_and_project_in_scope_shows_somewhere(fx, username):
    text = "\n".join(visit(fx, p, username).text for p in PAGE_IDS)
    _, allowed = fx.split(username)
    names = [m.text for m in allowed if m.kind == "org" and not m.text.endswith("*")]
    assert names and not [n for n in names if n not in text]


def test_the_group_user_sees_every_company_which_the_scan_relies_on(fx):
    """Control: the markers the matrix looks for do reach a group user's pages (or the scan proves nothing)."""
    text = "\n".join(visit(fx, p, "grp_staff").text for p in PAGE_IDS)
    kinds = {"org", "project", "whole", "region"}
    missing = [(m.text, m.kind) for m in fx.markers if m.kind in kinds and not found(m, text)]
    # Full phones and root causes show only in an opened (revealed) record, regions on no page.
    missing = [(m, k) for m, k in missing
               if not re.fullmatch(r"1[39]\d{9}", m) and k != "region" and not m.endswith("原因分析")]
    assert not missing, missing


# ---- links, saved views and records outside the scope are refused --------------------------------
REFUSAL = {"zh": "不在您的数据范围内", "en": "outside your data scope"}


@pytest.mark.parametrize("username", ["co_staff", "co_staff_en", "reg_exec", "prj_staff_en"])
@pytest.mark.parametrize("page_id", ["overview", "complaints", "register", "surveys", "supervisors", "issues",
                                     "listening", "explore"])
def test_a_link_naming_another_company_is_refused_not_widened_nor_emptied(fx, page_id, username):
    forbidden, _ = fx.split(username)
    other = next(m.text for m in forbidden if m.kind == "org" and m.project is None and m.text.endswith("公司"))
    at = _app(BY_ID[page_id].path, username)
    at.query_params["company"] = other
    _run(at)
    errors = [e.value for e in at.error]
    assert any(REFUSAL[_language(username)] in e and other in e for e in errors), (page_id, username, errors)
    text = HEX.sub(" ", _on_page(at, {}))
    leaks = [m.text for m in forbidden if m.text != other and found(m, text)]
    assert not leaks, leaks


@pytest.mark.parametrize("page_id", ["complaints", "register", "overview"])
def test_a_refused_link_stays_refused_on_the_next_run(fx, page_id):
    """The link is still in the address bar: the next run (a browser's cookie rerun, any click) must not
    draw the page as if the link had named nothing, without a word."""
    at = _app(BY_ID[page_id].path, "co_staff")
    at.query_params["company"] = "甲辰公司"
    _run(at)
    assert any(REFUSAL["zh"] in e.value for e in at.error)
    _run(at)
    assert any(REFUSAL["zh"] in e.value for e in at.error), [e.value for e in at.error]
    assert not at.metric


@pytest.mark.parametrize("username", ["co_staff", "co_exec_en"])
def test_a_saved_view_naming_another_company_is_refused(fx, username):
    """A saved view kept from before a scope change (or made by hand) names a company outside the scope."""
    other = "甲辰公司"
    engine = make_engine(fx.url)
    with session_scope(engine) as session:
        explore.save_view(username, "旧视图", {"exp_dataset": "complaints", "exp_by": "company", "exp_company": [other],
                                             "exp_period": "period_ytd"}, session=session)
    at = _run(_app("pages/7_Explore.py", username))
    at.selectbox(key="exp_view_pick").set_value("旧视图")
    _run(at)
    at.button(key="exp_view_open").click()
    _run(at)
    errors = [e.value for e in at.error]
    assert any(REFUSAL[_language(username)] in e and other in e for e in errors), errors
    forbidden, _ = fx.split(username)
    text = HEX.sub(" ", _on_page(at, {}))
    assert not [m.text for m in forbidden if m.text != other and found(m, text)]


@pytest.mark.parametrize("username", ["co_staff", "reg_exec_en", "prj_staff"])
@pytest.mark.parametrize(("page_id", "state_key"), [("register", "reg_open_ref"), ("issues", "iss_open_ref")])
@pytest.mark.parametrize("how", ["state", "link"])
def test_a_record_outside_the_scope_is_refused_by_ref(fx, username, page_id, state_key, how):
    ref = fx.outside_ref(username) if page_id == "register" else fx.outside_issue(username)
    at = _app(BY_ID[page_id].path, username)
    if how == "state":
        at.session_state[state_key] = ref
    else:
        at.query_params["ref"] = ref
    _run(at)
    shown = [w.value for w in at.warning] + [e.value for e in at.error]
    assert any(REFUSAL[_language(username)] in s and ref in s for s in shown), shown
    forbidden, _ = fx.split(username)
    text = HEX.sub(" ", _on_page(at, {}))
    assert not [m.text for m in forbidden if m.text != ref and found(m, text)]


def test_the_fixture_is_what_the_docstring_says(fx):
    assert {c[0] for c in F.COMPANIES} == {"甲辰公司", "乙巳公司", "丙午公司", "丁未公司"}
    assert fx.complaint_count("grp_staff") == 161
    assert fx.complaint_count("reg_exec") == 17 + 6 + 31
    assert fx.complaint_count("co_staff") == 37 + 11
    assert fx.complaint_count("prj_staff") == 17
