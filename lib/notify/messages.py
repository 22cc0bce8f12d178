"""Messages in the recipient's language: subject and plain-text body from an event's safe fields.

Only references, project / company names, codes, due times and KPI figures reach a message: never a
description (free text may carry a name or a phone), complainant name or phone, or respondent key.
"""
from __future__ import annotations

import html
import os
import re
from typing import Any

from lib.i18n import t
from lib.vocab import label

STORM_LINES = 50  # a storm digest lists this many items, then "and N more"
PAGE_PATHS = {"register": "Complaint_Register", "issues": "Issues", "inbox": "Inbox", "overview": ""}


def base_url() -> str:
    return os.environ.get("CRHQ_BASE_URL", "http://localhost:8501").rstrip("/")


def absolute(link: str | None) -> str | None:
    """A stored link ("register?ref=TS…", page id and query) as the address a mail or robot carries."""
    if not link:
        return None
    page, _, query = link.partition("?")
    path = PAGE_PATHS.get(page, "")
    return f"{base_url()}/{path}" + (f"?{query}" if query else "")


def fmt_value(kpi: str, value: float | None) -> str:
    if value is None:
        return "—"
    if kpi.startswith("satisfaction_score") or kpi.startswith("score_") or kpi == "nps":
        return f"{value:.1f}"
    return f"{100 * value:.1f}%"


def _kpi_name(kpi: str, lang: str) -> str:
    return t(f"kpi_{kpi}", lang)


def _unit(params: dict[str, Any], lang: str) -> str:
    return params.get("company") or t("nt_group", lang)


def _record_lines(p: dict[str, Any], lang: str) -> list[str]:
    lines = [f"{t('nt_f_project', lang)}: {p.get('project') or '—'}",
             f"{t('nt_f_company', lang)}: {p.get('company') or '—'}"]
    if "category" in p:
        lines.append(f"{t('nt_f_category', lang)}: {label('category', p['category'], lang)}")
    if p.get("severity"):
        lines.append(f"{t('nt_f_severity', lang)}: {label('severity', p['severity'], lang)}")
    if p.get("status"):
        vocab = "issue_status" if p.get("record") == "issue" else "complaint_status"
        lines.append(f"{t('nt_f_status', lang)}: {label(vocab, p['status'], lang)}")
    if p.get("received"):
        lines.append(f"{t('nt_f_received', lang)}: {p['received']}")
    if "level" in p:
        lines.append(f"{t('nt_f_level', lang)}: {label('escalation_level', str(p['level']), lang)}")
    return lines


def render(event: str, p: dict[str, Any], lang: str) -> tuple[str, str]:
    """(subject, plain-text body) of one event occurrence for a reader of `lang`."""
    kind = t(f"nt_kind_{p['kind']}", lang) if "kind" in p else ""
    if event in ("sla_due_soon", "sla_breached"):
        subject = t(f"nt_subj_{event}", lang, ref=p["ref"], kind=kind, due=p["due"], hours=p.get("hours", ""))
        lines = _record_lines(p, lang)
    elif event == "escalated":
        subject = (t("nt_subj_urgent", lang, ref=p["ref"]) if p.get("urgent") else
                   t("nt_subj_escalated", lang, ref=p["ref"], level=label("escalation_level", str(p["level"]), lang)))
        lines = _record_lines(p, lang)
    elif event == "issue_due":
        subject = t("nt_subj_issue_overdue" if p.get("overdue") else "nt_subj_issue_due", lang, ref=p["ref"],
                    due=p["due"])
        lines = _record_lines(p, lang)
    elif event == "kpi_red":
        subject = t("nt_subj_kpi_red", lang, month=p["month"], unit=_unit(p, lang), kpi=_kpi_name(p["kpi"], lang),
                    value=fmt_value(p["kpi"], p["value"]), target=fmt_value(p["kpi"], p["target"]))
        lines = [f"{t('nt_f_value', lang)}: {fmt_value(p['kpi'], p['value'])}",
                 f"{t('nt_f_target', lang)}: {fmt_value(p['kpi'], p['target'])}",
                 f"{t('nt_f_amber', lang)}: {fmt_value(p['kpi'], p['amber_from'])}"]
    elif event == "kpi_drop":
        subject = t("nt_subj_kpi_drop", lang, month=p["month"], unit=_unit(p, lang), kpi=_kpi_name(p["kpi"], lang),
                    previous=fmt_value(p["kpi"], p["previous"]), value=fmt_value(p["kpi"], p["value"]))
        lines = [f"{t('nt_f_value', lang)}: {fmt_value(p['kpi'], p['value'])}",
                 f"{t('nt_f_previous', lang)}: {fmt_value(p['kpi'], p['previous'])}",
                 f"{t('nt_f_change', lang)}: {p['change_points']:+.1f}", f"{t('nt_f_p', lang)}: {p['p_value']:.4f}"]
    elif event == "monthly_report":
        subject = t("nt_subj_monthly_report", lang, month=p["month"])
        lines = [t("nt_report_body" if p.get("attach") else "nt_report_scoped", lang, month=p["month"])]
        for row in p["headlines"]:
            status = t(f"nt_status_{row['colour'] or 'none'}", lang)
            lines.append("· " + t("nt_report_line", lang, kpi=_kpi_name(row["kpi"], lang),
                                  value=fmt_value(row["kpi"], row["value"]),
                                  target=fmt_value(row["kpi"], row["target"]), status=status))
    elif event == "daily_digest":
        subject = t("nt_subj_daily_digest", lang, date=p["date"], n=len(p["items"]))
        lines = [t("nt_digest_intro", lang)]
        for item in p["items"]:
            if item["record"] == "complaint":
                lines.append("· " + t("nt_digest_complaint", lang, ref=item["ref"], project=item["project"],
                                      kind=t(f"nt_kind_{item['kind']}", lang), due=item["due"]))
            else:
                lines.append("· " + t("nt_digest_issue", lang, ref=item["ref"], project=item["project"],
                                      due=item["due"]))
    elif event == "risk_signal":  # issue #26: refs, project, category and the admin's words; never a text
        subject, lines = _signal_text(p, lang)
    else:
        raise ValueError(f"unknown event {event}")
    return subject, "\n".join(lines)


def _signal_text(p: dict[str, Any], lang: str) -> tuple[str, list[str]]:
    what = label("category", p["category"], lang) if p.get("category") else p.get("term") or ""
    subject = t(f"sig_nt_subj_{p['signal']}", lang, ref=p.get("ref", ""), project=p.get("project") or "—",
                what=what, count=p.get("count", 0), hours=f"{p.get('hours', 0):g}", days=p.get("days", 0),
                words="、".join(p.get("words", ())))
    lines = _record_lines({k: v for k, v in p.items() if k in ("project", "company", "category") and v}, lang)
    lines.append(f"{t('sig_nt_refs', lang)}: {', '.join(p.get('refs', ()))}")
    if p["signal"] == "exposure":
        lines.append(t("sig_nt_suggest_escalation", lang))
    return subject, lines


def storm(subjects: list[str], lang: str) -> tuple[str, str]:
    """One message for many of one recipient's notifications at once."""
    n = len(subjects)
    lines = [t("nt_storm_intro", lang, n=n), *(f"· {s}" for s in subjects[:STORM_LINES])]
    if n > STORM_LINES:
        lines.append(t("nt_storm_more", lang, n=n - STORM_LINES))
    return t("nt_subj_storm", lang, n=n), "\n".join(lines)


def full_text(body: str, link: str | None, lang: str) -> str:
    url = absolute(link)
    return "\n".join([body, *([f"{t('nt_f_open', lang)}: {url}"] if url else []), "", t("nt_footer", lang)])


_URL = re.compile(r"(https?://[^\s<>\"]+)")


def to_html(subject: str, text: str) -> str:
    """The HTML part: the plain text escaped, lines kept, addresses made links."""
    def line_html(line: str) -> str:
        return _URL.sub(r'<a href="\1">\1</a>', html.escape(line, quote=False))
    rows = "".join(f'<p style="margin:0 0 6px">{line_html(line)}</p>' if line else "<br>" for line in text.split("\n"))
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{html.escape(subject)}</title></head>"
            f"<body style=\"font-family:sans-serif\"><h3>{html.escape(subject)}</h3>{rows}</body></html>")
