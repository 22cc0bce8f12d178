"""The risk signals panel (issue #26): counts, lists, links to the register, the suggested escalation."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib import auth
from lib.errors import DomainError
from lib.kpis.common import KpiFilter
from lib.pages import WRITERS
from lib.services import complaints as complaint_service
from lib.ui.cache import cached
from lib.ui.flash import flash
from lib.ui.language import error_text, lang, tr
from lib.ui.org_scope import current_reach, scoped
from lib.ui.page import page_path
from lib.ui.service_calls import write
from lib.vocab import label


def _signal_link(where, query: str, label_key: str) -> None:
    from urllib.parse import parse_qsl
    where.page_link(page_path("register"), label=tr(label_key), icon=":material/arrow_forward:",
                    query_params=dict(parse_qsl(query)))


def _escalate_signal(ref: str, version: int, words: str, actor: str) -> None:
    try:
        write(complaint_service.escalate, ref, 1, actor=actor, version=version,
              note=tr("sig_escalate_note", words=words), reach=current_reach())
    except DomainError as exc:
        flash("error", error_text(exc))
        return
    flash("success", tr("sig_escalated", ref=ref))


def signals_panel(flt: KpiFilter, user: auth.CurrentUser, prefix: str) -> None:
    """The risk signals of a (scoped) filter: three counts and their lists; a picked row opens its
    complaints in the register (`refs=`). Refs, projects, counts and masked excerpts only: no name, phone
    or hash reaches the page, whatever the role. Writers get the suggested escalation to HQ."""
    from lib.services import signals as sig

    found = cached(sig.compute, scoped(flt))
    r = found.rules
    st.subheader(tr("sig_title"))
    st.caption(tr("sig_caption", n=r.group_min, hours=f"{r.window_hours:g}", days=r.repeat_days))
    # The counts head each list (not st.metric: the pages' own cards keep their number and layout).
    language = lang()

    def when(value) -> str:
        return value.strftime("%Y-%m-%d %H:%M")

    def table(rows: list[dict], key: str):
        if not rows:
            st.caption(tr("sig_none"))
            return None
        picked = st.dataframe(pd.DataFrame(rows), hide_index=True, key=key, on_select="rerun",
                              selection_mode="single-row")
        chosen = picked.selection.rows if picked and picked.selection else []
        if not chosen:
            st.caption(tr("sig_pick_hint"))
        return chosen[0] if chosen else None

    with st.expander(f"{tr('sig_group')} · {len(found.group_complaints)}"):
        groups = found.group_complaints
        i = table([{tr("sig_col_company"): g.company, tr("sig_col_project"): g.project,
                    tr("sig_col_category"): label("category", g.category, language) if g.category else g.term,
                    tr("sig_col_count"): g.count, tr("sig_col_first"): when(g.first_at),
                    tr("sig_col_last"): when(g.last_at), tr("sig_col_refs"): "、".join(g.refs)} for g in groups],
                  f"{prefix}_sig_group")
        if i is not None:
            _signal_link(st, sig.refs_query(groups[i].refs, groups[i].first_at, groups[i].last_at), "sig_open_register")
    with st.expander(f"{tr('sig_repeat')} · {len(found.repeat_complainants)}"):
        homes = found.repeat_complainants
        i = table([{tr("sig_col_household"): tr("sig_household_n", n=h.household),
                    tr("sig_col_project"): "、".join(h.projects), tr("sig_col_count"): h.count,
                    tr("sig_col_repeats"): h.repeats, tr("sig_col_first"): when(h.first_at),
                    tr("sig_col_last"): when(h.last_at), tr("sig_col_refs"): "、".join(h.refs)} for h in homes],
                  f"{prefix}_sig_repeat")
        if i is not None:
            _signal_link(st, sig.refs_query(homes[i].refs, homes[i].first_at, homes[i].last_at), "sig_open_register")
    with st.expander(f"{tr('sig_exposure')} · {len(found.exposure)}"):
        hits = found.exposure
        i = table([{tr("sig_col_refs"): e.ref, tr("sig_col_company"): e.company, tr("sig_col_project"): e.project,
                    tr("sig_col_received"): when(e.received_at), tr("sig_col_words"): "、".join(e.words),
                    tr("sig_col_quote"): e.quote,
                    tr("sig_col_level"): label("escalation_level", str(e.escalation_level), language)} for e in hits],
                  f"{prefix}_sig_exposure")
        if i is not None:
            e = hits[i]
            _signal_link(st, sig.refs_query((e.ref,), e.received_at, e.received_at), "sig_open_complaint")
            if user.role in WRITERS and e.escalation_suggested:
                st.button(tr("sig_escalate"), key=f"{prefix}_sig_escalate_{e.ref}", icon=":material/upload:",
                          on_click=_escalate_signal, args=(e.ref, e.version, "、".join(e.words), user.username))
            elif user.role in WRITERS:
                st.caption(tr("sig_already_escalated"))
