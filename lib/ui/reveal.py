"""Revealing personal data to staff: one record, or a list's phones, audited."""
from __future__ import annotations

import streamlit as st

from lib import auth, privacy
from lib.db import session_scope
from lib.services import audit as audit_service
from lib.ui.cache import get_engine


def reveal(actor: str, role: str, entity: str, ref: str, state_key: str) -> None:
    """on_click of "show contact details": staff and admin only (the page drew the button from the role
    it read from the database; callback arguments never come from the browser), audited, one record."""
    if role not in privacy.SEES_PERSONAL_DATA or auth.signed_in_still(get_engine()) != actor:
        return
    with session_scope(get_engine()) as session:
        audit_service.record(session=session, actor=actor, action="reveal_personal_data", entity=entity,
                             entity_id=ref)
    st.session_state[state_key] = ref


def reveal_toggled(actor: str, role: str, entity: str, what: str, state_key: str) -> None:
    """on_change of a "show phones" toggle: turning it on is audited; off needs nothing."""
    if role not in privacy.SEES_PERSONAL_DATA or auth.signed_in_still(get_engine()) != actor:
        st.session_state[state_key] = False
        return
    if st.session_state.get(state_key):
        with session_scope(get_engine()) as session:
            audit_service.record(session=session, actor=actor, action="reveal_personal_data", entity=entity,
                                 entity_id=what)
