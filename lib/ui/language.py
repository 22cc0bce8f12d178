"""Text in the signed-in user's language: the language itself, UI strings, domain errors as messages."""
from __future__ import annotations

import streamlit as st

from lib import auth
from lib.errors import DomainError
from lib.i18n import LANGUAGES, STRINGS, md_escape, t
from lib.vocab import VOCABULARIES, label


def lang() -> str:
    value = st.session_state.get(auth.LANG)
    return value if value in LANGUAGES else "zh"


def tr(key: str, **params: object) -> str:
    """A UI string in the user's language; text parameters (user data) are escaped for markdown."""
    return t(key, lang(), **{k: md_escape(v) if isinstance(v, str) else v for k, v in params.items()})


def _field_label(name: str) -> str:
    for prefix in ("col_", "iss_col_", "sup_col_", "act_col_"):
        if f"{prefix}{name}" in STRINGS:
            return tr(f"{prefix}{name}")
    return name


def error_text(exc: DomainError) -> str:
    """A domain error in the user's language, with status codes shown as their labels."""
    params = dict(exc.params)
    if params.get("kind") in ("company", "city", "project"):  # err_out_of_scope: the kind in the user's language
        params["kind"] = tr(params["kind"])
    if isinstance(params.get("fields"), str):
        params["fields"] = "、".join(_field_label(f) for f in params["fields"].split(", "))
    for name in ("current", "target"):
        code = params.get(name)
        if isinstance(code, str):
            for vocabulary in ("complaint_status", "issue_status"):
                if code in VOCABULARIES[vocabulary]:
                    params[name] = label(vocabulary, code, lang())
                    break
            else:
                params[name] = tr(f"action_{code}") if f"action_{code}" in STRINGS else code
    return tr(exc.key, **params)
