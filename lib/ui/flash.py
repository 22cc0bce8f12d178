"""Messages set by a callback and shown on the next run."""
from __future__ import annotations

import streamlit as st


def flash(kind: str, message: str) -> None:
    """A message to show on the next run (set from callbacks, which run before the script)."""
    st.session_state["crhq_flash"] = (kind, message)


def show_flash() -> None:
    kind, message = st.session_state.pop("crhq_flash", (None, None))
    if kind == "success":
        st.success(message)
    elif kind == "error":
        st.error(message)
    elif kind == "info":
        st.info(message)
