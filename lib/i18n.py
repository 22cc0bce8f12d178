"""Every UI string in Simplified Chinese and English; vocabulary labels come from lib.vocab."""
from __future__ import annotations

from lib.vocab import label as vocab_label

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

STRINGS: dict[str, tuple[str, str]] = {
    # app and navigation
    "app_title": ("客户关系总部看板", "Customer-Relations HQ Dashboard"),
    "nav_overview": ("总览", "Overview"),
    "nav_admin": ("系统管理", "Administration"),
    "language": ("语言", "Language"),
    "logout": ("退出登录", "Log out"),
    "signed_in_as": ("当前用户：{name}（{role}）", "Signed in as {name} ({role})"),
    # login
    "login_title": ("登录", "Log in"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "login_button": ("登录", "Log in"),
    "login_required": ("请先登录。", "Please log in."),
    "demo_accounts": ("演示账号（仅演示模式显示）", "Demo accounts (shown in demo mode only)"),
    "seeding": ("首次启动：正在生成演示数据，请稍候……", "First start: generating demo data, please wait…"),
    "err_login_failed": ("用户名或密码错误。", "Wrong username or password."),
    "err_login_disabled": ("该账号已停用，请联系管理员。", "This account is disabled; contact an administrator."),
    "err_login_locked": ("登录失败次数过多，账号已锁定，请 {minutes} 分钟后再试。",
                         "Too many failed logins: the account is locked, try again in {minutes} min."),
    "err_session_ended": ("会话已失效，请重新登录。", "Your session has ended; please log in again."),
    "forbidden": ("您的角色无权访问此页面。", "Your role may not open this page."),
    # periods and filters
    "period": ("期间", "Period"),
    "period_month": ("本月", "This month"),
    "period_quarter": ("本季度", "This quarter"),
    "period_ytd": ("本年至今", "Year to date"),
    "period_last_year": ("上一年", "Last year"),
    "period_custom": ("自定义", "Custom"),
    "date_from": ("开始日期", "From"),
    "date_to": ("结束日期", "To"),
    "company": ("公司", "Company"),
    "city": ("城市", "City"),
    "project": ("项目", "Project"),
    "business_line": ("业务线", "Business line"),
    "vs_previous": ("较上期", "vs previous period"),
    "no_data": ("所选条件下没有数据。", "No data for this selection."),
    # overview
    "overview_title": ("总部客户关系总览", "HQ customer-relations overview"),
    "overview_caption": ("{start} 至 {end}", "{start} to {end}"),
    "area_complaints": ("投诉", "Complaints"),
    "area_surveys": ("满意度", "Satisfaction"),
    "area_listening": ("六个一倾听", "Six Ones listening"),
    "area_supervisors": ("客户质量监督小组", "Supervisor group"),
    "chart_complaints_trend": ("投诉量与解决率（按月）", "Complaints and resolution rate by month"),
    "chart_volume": ("投诉量", "Complaints"),
    "month": ("月份", "Month"),
    "issues_open": ("监督员问题未关闭", "Supervisor issues open"),
    # KPI names (SPEC §7)
    "kpi_complaints": ("投诉量", "Complaints"),
    "kpi_responsible_share": ("责任投诉占比", "Responsible share"),
    "kpi_resolution_rate": ("解决率", "Resolution rate"),
    "kpi_first_response_on_time_rate": ("首次响应及时率", "First response on time"),
    "kpi_resolution_on_time_rate": ("按时解决率", "Resolved on time"),
    "kpi_median_hours_to_resolve": ("解决时长中位数（小时）", "Median hours to resolve"),
    "kpi_p90_hours_to_resolve": ("解决时长P90（小时）", "P90 hours to resolve"),
    "kpi_escalation_rate": ("升级率", "Escalation rate"),
    "kpi_reopen_rate": ("重开率", "Reopen rate"),
    "kpi_followup_coverage": ("回访率", "Follow-up coverage"),
    "kpi_followup_satisfaction": ("回访满意率", "Follow-up satisfaction"),
    "kpi_open_backlog": ("未结投诉", "Open backlog"),
    "kpi_overdue_open": ("超时未结", "Overdue open"),
    "kpi_responses": ("样本量", "Responses"),
    "kpi_satisfaction_score": ("满意度得分", "Satisfaction score"),
    "kpi_satisfaction_rate": ("满意率", "Satisfaction rate"),
    "kpi_nps": ("净推荐值", "NPS"),
    "kpi_participation_rate": ("参与率", "Participation rate"),
    "kpi_participation_rate_management": ("管理层参与率", "Management participation"),
    "kpi_participation_rate_staff": ("员工参与率", "Staff participation"),
    "kpi_participants": ("参与人数", "Participants"),
    "kpi_headcount": ("在职人数", "Headcount"),
    "kpi_issues_raised": ("监督员问题数", "Issues raised"),
    "kpi_issue_closure_rate": ("问题闭环率", "Issue closure rate"),
    "kpi_open_overdue": ("超期未结问题", "Open overdue issues"),
    "kpi_active_supervisors": ("在任监督员", "Active supervisors"),
    # admin
    "admin_title": ("系统管理", "Administration"),
    "admin_users": ("用户", "Users"),
    "admin_audit": ("审计日志", "Audit log"),
    "admin_add_user": ("新增用户", "Add user"),
    "admin_edit_user": ("修改用户", "Change a user"),
    "name": ("姓名", "Name"),
    "role": ("角色", "Role"),
    "active": ("启用", "Active"),
    "new_password": ("新密码", "New password"),
    "action": ("操作", "Action"),
    "save": ("保存", "Save"),
    "user": ("用户", "User"),
    "disable": ("停用", "Disable"),
    "enable": ("启用", "Enable"),
    "set_role": ("修改角色", "Change role"),
    "reset_password": ("重置密码", "Reset password"),
    "saved": ("已保存。", "Saved."),
    "at": ("时间", "Time"),
    "actor": ("操作人", "Actor"),
    "entity": ("对象", "Entity"),
    "detail": ("详情", "Detail"),
    "all": ("全部", "All"),
    # domain errors
    "err_user_not_found": ("用户 {username} 不存在。", "User {username} does not exist."),
    "err_user_exists": ("用户 {username} 已存在。", "User {username} already exists."),
    "err_username_invalid": ("用户名只能包含字母、数字、下划线和点，最长64位。",
                             "A username may contain letters, digits, _ and . only (64 at most)."),
    "err_role_invalid": ("角色 {role} 无效。", "Role {role} is not valid."),
    "err_password_short": ("密码至少 {n} 位。", "A password needs at least {n} characters."),
    "err_cannot_disable_self": ("不能停用当前登录的账号。", "You cannot disable your own account."),
}


def t(key: str, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """The string for `key` in `lang`, formatted with params; unknown keys show the key itself."""
    zh_en = STRINGS.get(key)
    text = key if zh_en is None else zh_en[0 if lang == "zh" else 1]
    return text.format(**params) if params else text


def kpi_label(name: str, lang: str) -> str:
    return t(f"kpi_{name}", lang)


def vocab(vocabulary: str, code: str | None, lang: str) -> str:
    return vocab_label(vocabulary, code, lang)


def format_rate(value: float | None) -> str:
    """Rates in % with one decimal; an empty denominator shows a dash (SPEC §7)."""
    return "—" if value is None else f"{value * 100:.1f}%"


def format_number(value: float | int | None, decimals: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{decimals}f}"

STRINGS.update({
    "imp_err_encoding": ("无法识别文件编码：请保存为 UTF-8 或 GB18030（GBK）的 CSV，或 .xlsx。",
                         "Unknown file encoding: save as UTF-8 or GB18030 (GBK) CSV, or .xlsx."),
    "imp_err_empty": ("文件为空。", "The file is empty."),
    "imp_err_no_rows": ("文件只有表头，没有数据行。", "The file has a header but no data rows."),
    "imp_err_unreadable": ("文件无法读取（{detail}）。", "The file cannot be read ({detail})."),
    "imp_err_rows": ("导入被拒绝：{n} 行有错误，未写入任何数据。请下载错误报告修正后重新导入。",
                     "Import refused: {n} row(s) have errors and nothing was written. "
                     "Download the error report, fix them and import again."),
    "imp_done": ("导入完成：共 {rows} 行，新增 {inserted}，更新 {updated}，未变 {unchanged}，新建项目 {created_projects}。",
                 "Imported {rows} rows: {inserted} new, {updated} updated, {unchanged} unchanged, "
                 "{created_projects} new projects."),
})

STRINGS.update({
    "nav_complaints": ("投诉", "Complaints"),
    "complaints_title": ("投诉处理与时限", "Complaints and SLAs"),
    "channel": ("渠道", "Channel"),
    "category": ("类别", "Category"),
    "severity": ("级别", "Severity"),
    "responsible": ("责任投诉", "Responsible"),
    "yes": ("是", "Yes"),
    "no": ("否", "No"),
    "breakdowns": ("分项", "Breakdowns"),
    "by_business_line": ("按业务线", "By business line"),
    "by_channel": ("按渠道", "By channel"),
    "by_category": ("按类别", "By category"),
    "by_city": ("按城市", "By city"),
    "sla_view": ("时限（SLA）", "SLA"),
    "escalation_funnel": ("升级漏斗", "Escalation funnel"),
    "import_file": ("导入文件（CSV 或 Excel）", "Import a file (CSV or Excel)"),
    "import_button": ("导入", "Import"),
    "download_errors": ("下载错误报告", "Download the error report"),
    "count": ("数量", "Count"),
})

STRINGS.update({
    "err_fields": ("以下字段无效或缺失：{fields}", "These fields are missing or invalid: {fields}"),
    "err_ref_taken": ("编号 {ref} 已存在。", "Reference {ref} already exists."),
    "err_not_found": ("找不到记录 {what}。", "Record {what} was not found."),
    "err_conflict": ("记录 {what} 已被他人修改，请刷新后重试；您的修改未保存。",
                     "Record {what} was changed by someone else since you opened it. Reload and try again; "
                     "your change was not saved."),
    "err_transition": ("不允许从“{current}”变为“{target}”。", "A move from “{current}” to “{target}” is not allowed."),
    "err_before_received": ("时间不能早于受理时间（或解决时间）。", "The time cannot be before the received (or resolved) time."),
    "err_void_reason": ("作废必须填写原因（重复或撤回）。", "Voiding needs a reason (duplicate or withdrawn)."),
    "err_followup_first": ("请先记录回访（时间和评分）。", "Record the follow-up call (time and score) first."),
    "err_escalation": ("升级层级只能提高（当前 {current}，目标 {target}）。",
                       "Escalation can only go up (now {current}, asked {target})."),
})

# Column headings: the canonical field names of SPEC §3–6 (import files use the same Chinese names).
STRINGS.update({f"col_{name}": pair for name, pair in {
    "ref": ("编号", "Ref"),
    "received_at": ("受理时间", "Received"),
    "status": ("状态", "Status"),
    "channel": ("渠道", "Channel"),
    "company": ("公司", "Company"),
    "city": ("城市", "City"),
    "project": ("项目", "Project"),
    "business_line": ("业务线", "Business line"),
    "category": ("类别", "Category"),
    "severity": ("级别", "Severity"),
    "responsible": ("责任投诉", "Responsible"),
    "escalation_level": ("升级层级", "Escalation"),
    "complainant_name": ("投诉人", "Complainant"),
    "complainant_phone": ("联系电话", "Phone"),
    "assignee": ("处理人", "Assignee"),
    "first_response_due_at": ("首次响应时限", "First response due"),
    "first_response_at": ("首次响应时间", "First response"),
    "resolution_due_at": ("解决时限", "Resolution due"),
    "resolved_at": ("解决时间", "Resolved"),
    "followup_at": ("回访时间", "Follow-up"),
    "followup_score": ("回访评分", "Follow-up score"),
    "closed_at": ("归档时间", "Closed"),
    "reopen_count": ("重开次数", "Reopened"),
    "void_reason": ("作废原因", "Void reason"),
    "root_cause": ("原因分析", "Root cause"),
    "corrective_action": ("纠正预防措施", "Corrective action"),
    "description": ("内容", "Description"),
}.items()})

STRINGS.update({
    "nav_register": ("投诉台账", "Complaint register"),
    "register_title": ("投诉台账与处理", "Complaint register"),
    "log_complaint": ("登记投诉", "Log a complaint"),
    "logged": ("已登记投诉 {ref}。", "Complaint {ref} logged."),
    "date": ("日期", "Date"),
    "time": ("时间", "Time"),
    "severity_help": ("仅责任投诉需要级别；非责任投诉按7个工作日计解决时限。",
                      "Only responsible complaints have a severity; non-responsible ones get 7 working days."),
    "search": ("搜索", "Search"),
    "search_hint": ("编号、内容、投诉人或项目", "Ref, text, complainant or project"),
    "overdue_only": ("仅超时未解决", "Overdue only"),
    "rows_shown": ("显示 {n} 条（最多 {limit} 条，请用筛选缩小范围）。", "{n} rows shown (at most {limit}; filter to narrow)."),
    "export_csv": ("导出 CSV", "Export CSV"),
    "export_xlsx": ("导出 Excel", "Export Excel"),
    "pick_a_complaint": ("在表格中选择一条投诉以查看详情和处理。", "Select a complaint in the table to see and work it."),
    "history": ("处理记录", "History"),
    "changes": ("变更", "Changes"),
    "note": ("备注", "Note"),
    "void_reason": ("作废原因（重复或撤回）", "Reason for voiding (duplicate or withdrawn)"),
    "actions": ("处理", "Actions"),
    "no_actions": ("该投诉已归档或作废，不能再处理。", "This complaint is closed or void; nothing more can be done."),
    "action_first_response": ("记录首次响应", "Record first response"),
    "action_in_progress": ("开始处理", "Start handling"),
    "action_reopen": ("重开", "Reopen"),
    "action_resolved": ("标记已解决", "Mark resolved"),
    "action_followup": ("记录回访", "Record follow-up"),
    "action_verified": ("已回访", "Verified"),
    "action_closed": ("归档", "Close"),
    "action_escalate": ("升级", "Escalate"),
    "action_edit": ("补充分析与措施", "Root cause & actions"),
    "action_void": ("作废", "Void"),
    "drill_caption": ("“{what}”下的投诉：{n} 条（最多显示 500 条）", "Complaints behind “{what}”: {n} (500 at most)"),
    "drill_hint": ("点击柱形可查看其下的投诉明细。", "Click a bar to see the complaints behind it."),
    "download_aggregates": ("下载汇总表", "Download the summary"),
    "backlog_ageing": ("未结投诉账龄（自受理起）", "Open backlog by age (since received)"),
    "age_0-1": ("≤1天", "≤1 day"),
    "age_1-3": ("1–3天", "1–3 days"),
    "age_3-7": ("3–7天", "3–7 days"),
    "age_7-15": ("7–15天", "7–15 days"),
    "age_15-30": ("15–30天", "15–30 days"),
    "age_30+": (">30天", ">30 days"),
    "overdue_list": ("超时未解决的投诉：{n} 条", "Open complaints past their resolution due time: {n}"),
    "err_forbidden_action": ("您的角色无权执行此操作。", "Your role may not do this."),
})
STRINGS.update({f"event_{name}": pair for name, pair in {
    "create": ("登记", "Logged"), "import": ("导入", "Imported"), "import_update": ("导入更新", "Updated by import"),
    "first_response": ("首次响应", "First response"), "in_progress": ("开始处理", "Handling started"),
    "resolved": ("已解决", "Resolved"), "reopen": ("重开", "Reopened"), "followup": ("回访", "Follow-up"),
    "closed": ("归档", "Closed"), "void": ("作废", "Voided"), "escalate": ("升级", "Escalated"),
    "edit": ("修改", "Edited"), "verified": ("已回访", "Verified"),
}.items()})
STRINGS.update({
    "import_columns": ("必填列：{required}。可选列：{optional}。表头可用中文或英文，CSV 可为 UTF-8 或 GB18030。",
                       "Required columns: {required}. Optional: {optional}. Headers in Chinese or English; "
                       "CSV in UTF-8 or GB18030."),
})
STRINGS.update({
    "admin_sla": ("时限与设置", "SLA & settings"),
    "sla_explain": ("保存后，所有投诉（含已归档）的首次响应和解决时限按新规则重新计算，各期间的及时率随之变化；"
                    "变更及受影响的投诉数记入审计日志。工作时间按国家法定节假日与调休计算。",
                    "On save, the first-response and resolution due times of every complaint (closed ones too) are "
                    "recomputed with the new rules, so on-time rates of every period change with them; the change and "
                    "the number of complaints it moved go to the audit log. Working time follows the statutory "
                    "holiday calendar with make-up working days."),
    "sla_first_response_working_hours": ("首次响应（工作小时）", "First response (working hours)"),
    "sla_first_response_forum_working_hours": ("论坛首次响应（工作小时）", "Forum first response (working hours)"),
    "sla_first_response_urgent_calendar_hours": ("紧急投诉首次响应（自然小时）", "Urgent first response (calendar hours)"),
    "sla_resolution_urgent_calendar_hours": ("紧急投诉解决（自然小时）", "Urgent resolution (calendar hours)"),
    "sla_resolution_important_working_days": ("重要投诉解决（工作日）", "Important resolution (working days)"),
    "sla_resolution_ordinary_working_days": ("一般投诉解决（工作日）", "Ordinary resolution (working days)"),
    "sla_resolution_non_responsible_working_days": ("非责任投诉解决（工作日）",
                                                    "Non-responsible resolution (working days)"),
    "issue_due_days": ("监督员问题默认完成期限（天）", "Supervisor issue default due (days)"),
    "sla_saved": ("已保存；{n} 条投诉的时限已重新计算。", "Saved; due times of {n} complaints were recomputed."),
})
STRINGS.update({
    "err_not_owner": ("此问题的首问责任人是 {owner}：只有其本人或管理员可以推进状态，您可以添加进展备注。",
                      "{owner} is this issue's first responder: only they or an admin may move it; you can add a note."),
    "err_told_needed": ("请填写向监督员反馈的内容。", "Write what the supervisor was told."),
    "err_before_raised": ("日期不能早于问题提出日期。", "The date cannot be before the issue was raised."),
    "err_already_raised": ("该发现已转为改进事项 {ref}。", "This finding is already improvement item {ref}."),
})

STRINGS.update({
    "nav_supervisors": ("监督员小组", "Supervisor group"),
    "nav_issues": ("问题跟踪", "Issue tracker"),
    "supervisors_title": ("客户质量监督小组", "Owner quality supervisor group"),
    "issues_title": ("问题跟踪（监督员反馈与改进事项）", "Issue tracker (supervisor feedback and improvement items)"),
    "sup_tab_issues": ("问题分析", "Issues"),
    "sup_tab_registry": ("监督员名册", "Registry"),
    "sup_tab_activities": ("监督活动", "Activities"),
    "issues_by_category": ("问题按类别（提出 / 未闭环）", "Issues by category (raised / still open)"),
    "issues_by_responsible_party": ("问题按责任主体（提出 / 未闭环）", "Issues by responsible party (raised / still open)"),
    "raised": ("提出", "Raised"),
    "still_open": ("未闭环", "Still open"),
    "issue_ageing": ("未闭环问题账龄（自提出起）", "Open issues by age (since raised)"),
    "iage_0-7": ("≤7天", "≤7 days"), "iage_8-15": ("8–15天", "8–15 days"), "iage_16-30": ("16–30天", "16–30 days"),
    "iage_31-60": ("31–60天", "31–60 days"), "iage_60+": (">60天", ">60 days"),
    "by_company": ("按公司", "By company"),
    "by_project": ("按项目（问题最多的30个）", "By project (30 with the most issues)"),
    "open_tracker": ("打开问题跟踪", "Open the issue tracker"),
    "serving_only": ("仅显示期间内在任的监督员", "Only supervisors serving in the period"),
    "rows_count": ("共 {n} 条", "{n} rows"),
    "sup_add": ("新增或更新监督员", "Add or update a supervisor"),
    "sup_col_supervisor_no": ("监督员编号", "Supervisor no."),
    "sup_col_name": ("姓名", "Name"),
    "sup_col_company": ("公司", "Company"),
    "sup_col_project": ("项目", "Project"),
    "sup_col_term": ("届次", "Term"),
    "sup_col_joined_on": ("加入日期", "Joined"),
    "sup_col_left_on": ("退出日期", "Left"),
    "sup_col_phone": ("联系电话", "Phone"),
    "act_add": ("登记监督活动", "Record a supervision activity"),
    "act_col_activity_date": ("活动日期", "Date"),
    "act_col_company": ("公司", "Company"),
    "act_col_project": ("项目", "Project"),
    "act_col_activity_type": ("活动类型", "Type"),
    "act_col_participants": ("参与人数", "Participants"),
    "act_col_note": ("备注", "Note"),
    "import_supervisors": ("导入监督员名册", "Import the supervisor registry"),
    "import_activities": ("导入监督活动", "Import supervision activities"),
    "import_issues": ("导入监督员问题", "Import supervisor issues"),
    "log_issue": ("登记问题", "Log an issue"),
    "issue_logged": ("已登记问题 {ref}。", "Issue {ref} logged."),
    "iss_supervisors": ("提出问题的监督员", "Raised by"),
    "iss_supervisors_help": ("可选多位；问题归属第一位监督员所在项目。",
                             "One or more; the issue belongs to the first supervisor's project."),
    "iss_activity": ("来自监督活动（可选）", "From a supervision activity (optional)"),
    "iss_due_help": ("留空则按设置自提出日起计算（默认15天）。", "Leave empty for the default (15 days after raised)."),
    "choose": ("请选择", "Choose"),
    "none": ("无", "None"),
    "view": ("视图", "View"),
    "iss_view_mine": ("我负责的未闭环问题", "My open issues"),
    "iss_view_board": ("看板", "Board"),
    "iss_view_overdue": ("已超期", "Overdue"),
    "iss_view_recent_closed": ("最近关闭", "Recently closed"),
    "iss_view_all": ("全部", "All"),
    "iss_search_hint": ("编号、内容或项目", "Ref, text or project"),
    "iss_col_ref": ("编号", "Ref"),
    "iss_col_raised_on": ("提出日期", "Raised"),
    "iss_col_status": ("状态", "Status"),
    "iss_col_overdue": ("超期", "Overdue"),
    "iss_col_source": ("来源", "Source"),
    "iss_col_company": ("公司", "Company"),
    "iss_col_project": ("项目", "Project"),
    "iss_col_category": ("类别", "Category"),
    "iss_col_responsible_party": ("责任主体", "Responsible party"),
    "iss_col_first_responder": ("首问责任人", "First responder"),
    "iss_col_due_on": ("计划完成日期", "Due"),
    "iss_col_resolved_on": ("解决日期", "Resolved"),
    "iss_col_closed_on": ("关闭日期", "Closed"),
    "iss_col_feedback_score": ("监督员评分", "Supervisor's score"),
    "iss_col_description": ("问题描述", "Description"),
    "source_supervisor": ("监督员反馈", "Supervisor"),
    "source_listening": ("倾听发现", "Listening finding"),
    "pick_an_issue": ("在表格中选择一个问题以查看详情和处理。", "Select an issue in the table to see and work it."),
    "iss_updates": ("进展记录", "Update log"),
    "iss_what_done": ("做了什么", "What was done"),
    "iss_what_told": ("告知监督员的内容", "What the supervisor was told"),
    "iss_action_acknowledged": ("受理", "Acknowledge"),
    "iss_action_in_progress": ("开始处理", "Start work"),
    "iss_action_resolved": ("标记已解决", "Mark resolved"),
    "iss_action_feedback_given": ("已反馈监督员", "Supervisor told"),
    "iss_action_closed": ("关闭", "Close"),
    "iss_action_note": ("添加进展", "Add an update"),
    "iss_action_reassign": ("转交首问责任人", "Hand over"),
})
STRINGS.update({f"iev_{name}": pair for name, pair in {
    "create": ("登记", "Logged"), "import": ("导入", "Imported"), "import_update": ("导入更新", "Updated by import"),
    "acknowledged": ("受理", "Acknowledged"), "in_progress": ("开始处理", "Work started"),
    "resolved": ("已解决", "Resolved"), "reopen": ("重开", "Reopened"), "feedback_given": ("已反馈监督员", "Supervisor told"),
    "closed": ("关闭", "Closed"), "note": ("进展", "Update"), "reassign": ("转交", "Handed over"),
}.items()})
