"""The page registry: which role may open which page (SPEC §8), in menu order."""
from __future__ import annotations

from dataclasses import dataclass

ALL_ROLES = frozenset({"executive", "staff", "admin"})
WRITERS = frozenset({"staff", "admin"})  # SPEC §8: create/update records and import files


@dataclass(frozen=True)
class PageSpec:
    page_id: str
    path: str
    label_key: str
    icon: str
    roles: frozenset[str]


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "app.py", "nav_overview", ":material/dashboard:", ALL_ROLES),
    PageSpec("complaints", "pages/1_Complaints.py", "nav_complaints", ":material/support_agent:", ALL_ROLES),
    PageSpec("register", "pages/2_Complaint_Register.py", "nav_register", ":material/list_alt:", ALL_ROLES),
    PageSpec("topics", "pages/14_Topics.py", "txt_nav", ":material/forum:", ALL_ROLES),
    PageSpec("surveys", "pages/6_Surveys.py", "nav_surveys", ":material/sentiment_satisfied:", ALL_ROLES),
    PageSpec("followups", "pages/13_Followups.py", "fu_nav", ":material/sentiment_dissatisfied:", ALL_ROLES),
    PageSpec("supervisors", "pages/3_Supervisors.py", "nav_supervisors", ":material/groups:", ALL_ROLES),
    PageSpec("issues", "pages/4_Issues.py", "nav_issues", ":material/task_alt:", ALL_ROLES),
    PageSpec("listening", "pages/5_Listening.py", "nav_listening", ":material/hearing:", ALL_ROLES),
    PageSpec("checks", "pages/10_Checks.py", "nav_checks", ":material/phone_callback:", ALL_ROLES),
    PageSpec("cases", "pages/11_Cases.py", "case_nav", ":material/menu_book:", ALL_ROLES),
    PageSpec("unit_reports", "pages/12_Unit_Reports.py", "urep_nav", ":material/assignment_turned_in:", ALL_ROLES),
    PageSpec("explore", "pages/7_Explore.py", "nav_explore", ":material/query_stats:", ALL_ROLES),
    PageSpec("inbox", "pages/8_Inbox.py", "nav_inbox", ":material/notifications:", ALL_ROLES),
    PageSpec("admin", "pages/9_Admin.py", "nav_admin", ":material/admin_panel_settings:",
             frozenset({"admin"})),
)
BY_ID = {p.page_id: p for p in PAGES}


def may_open(role: str | None, page_id: str) -> bool:
    return role is not None and role in BY_ID[page_id].roles


def menu_for(role: str | None) -> list[PageSpec]:
    return [p for p in PAGES if may_open(role, p.page_id)]
