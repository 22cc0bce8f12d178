"""Read models for the admin page: users and audit log as display-ready tables."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
from sqlalchemy.orm import Session

from lib import scope
from lib.i18n import t
from lib.services import audit, users
from lib.vocab import label


def users_table(*, session: Session) -> pd.DataFrame:
    return users.list_users(session=session)


def present_users(frame: pd.DataFrame, lang: str, scope_text: Callable[[scope.Scope], str]) -> pd.DataFrame:
    """Users as an admin reads them: role, scope, active and language in words, times in business time
    (Asia/Shanghai, said once in the header), headers in the reader's language."""
    return pd.DataFrame({
        t("username", lang): frame["username"],
        t("name", lang): frame["name"],
        t("role", lang): [label("role", r, lang) for r in frame["role"]],
        t("scope", lang): [scope_text(scope.parse(s.replace("; ", "\n"))) for s in frame["scope"]],
        t("active", lang): [t("yes" if a else "no", lang) for a in frame["active"]],
        t("language", lang): [t(f"lang_{v}", lang) if v in ("zh", "en") else "—" for v in frame["language"]],
        t("locked_until_business", lang): [None if pd.isna(v) else v
                                           for v in audit.to_business_time(frame["locked_until"])],
        t("created_at_business", lang): audit.to_business_time(frame["created_at"]),
    })


def audit_table(*, session: Session, actor: str | None, action: str | None,
                start: date | None, end: date | None) -> pd.DataFrame:
    """The newest 500 entries; `start`/`end` are business dates (what the date pickers show)."""
    return audit.search(session=session, actor=actor or None, action=action or None, start=start, end=end,
                        business_dates=True)
