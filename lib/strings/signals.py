"""UI strings of the risk signals (issue #26, SPEC §15): the signals panel, its admin settings, its notification."""
from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "sig_title": ("风险信号", "Risk signals"),
    "sig_caption": ("群诉：同一项目同一类别 {hours} 小时内 ≥ {n} 起投诉；重复投诉：同一住户（同一联系电话）{days} 天内再次投诉；"
                    "舆情风险：投诉内容含曝光风险词。点击一行可打开相关投诉。",
                    "Group complaint: ≥ {n} complaints of one project and category within {hours} hours; repeat "
                    "complainant: the same household (same phone) again within {days} days; exposure: a description "
                    "with a public-exposure word. Pick a row to open its complaints."),
    "sig_group": ("群诉", "Group complaints"),
    "sig_repeat": ("重复投诉住户", "Repeat households"),
    "sig_exposure": ("舆情风险", "Exposure words"),
    "sig_none": ("本期无此类信号。", "No such signal in this period."),
    "sig_pick_hint": ("选择一行，查看其投诉。", "Pick a row to see its complaints."),
    "sig_open_register": ("在投诉台账中打开这些投诉", "Open these complaints in the register"),
    "sig_open_complaint": ("在投诉台账中打开", "Open in the register"),
    "sig_col_project": ("项目", "Project"),
    "sig_col_company": ("公司", "Company"),
    "sig_col_category": ("类别 / 词", "Category / term"),
    "sig_col_count": ("投诉数", "Complaints"),
    "sig_col_first": ("最早受理", "First received"),
    "sig_col_last": ("最近受理", "Last received"),
    "sig_col_refs": ("投诉编号", "Complaint refs"),
    "sig_col_household": ("住户", "Household"),
    "sig_col_repeats": ("再次投诉", "Repeats"),
    "sig_col_words": ("命中词", "Matched words"),
    "sig_col_quote": ("内容摘录（已脱敏）", "Excerpt (masked)"),
    "sig_col_received": ("受理时间", "Received"),
    "sig_col_level": ("升级层级", "Escalation level"),
    "sig_household_n": ("住户 {n}", "Household {n}"),
    "sig_escalate": ("建议升级：升级至总部客服部", "Suggested: escalate to HQ"),
    "sig_escalate_note": ("舆情风险词：{words}", "Public-exposure words: {words}"),
    "sig_escalated": ("投诉 {ref} 已升级至总部。", "Complaint {ref} was escalated to HQ."),
    "sig_already_escalated": ("已升级或已结束，无需再次升级。", "Already escalated or finished: nothing to escalate."),
    "sig_register_refs": ("仅显示风险信号的 {n} 起投诉（来自链接）。", "Showing only the {n} complaints of a risk signal (from the link)."),
    "sig_register_all": ("显示全部", "Show all"),
    # admin settings
    "sig_admin_title": ("风险信号设置", "Risk signal settings"),
    "sig_group_min": ("群诉起算投诉数（N）", "Group complaint: complaints (N)"),
    "sig_window_hours": ("群诉时间窗（小时）", "Group complaint window (hours)"),
    "sig_repeat_days": ("重复投诉间隔（天）", "Repeat complainant: within (days)"),
    "sig_words": ("曝光风险词（每行一个，或以逗号、顿号分隔）", "Exposure words (one per line, or separated by commas)"),
    "sig_save": ("保存风险信号设置", "Save signal settings"),
    "sig_saved": ("风险信号设置已保存。", "Signal settings saved."),
    "sig_err_settings": ("风险信号设置无效：{fields}。N 为 2–1000，时间窗 1–744 小时，间隔 1–730 天，词表 1–200 个词、每个不超过 20 字。",
                         "Invalid signal settings: {fields}. N 2–1000, window 1–744 hours, 1–730 days, 1–200 words of "
                         "at most 20 characters."),
    # notification (SPEC §12 event risk_signal); nt_ev_<event> is the Inbox's name of the event
    "nt_ev_risk_signal": ("风险信号（群诉、重复投诉、舆情）", "Risk signals (group, repeat, exposure)"),
    "sig_nt_subj_group": ("【群诉预警】{project}：{hours} 小时内 {count} 起{what}投诉",
                          "[Group complaint] {project}: {count} {what} complaints within {hours} hours"),
    "sig_nt_subj_repeat": ("【重复投诉】投诉 {ref}：同一住户 {days} 天内再次投诉（共 {count} 起）",
                           "[Repeat complainant] Complaint {ref}: the same household again within {days} days ({count} in all)"),
    "sig_nt_subj_exposure": ("【舆情风险】投诉 {ref} 含曝光风险词：{words}",
                             "[Exposure risk] Complaint {ref} mentions: {words}"),
    "sig_nt_refs": ("相关投诉", "Complaints"),
    "sig_nt_suggest_escalation": ("建议升级至总部客服部处理。", "Escalation to HQ is suggested."),
}
