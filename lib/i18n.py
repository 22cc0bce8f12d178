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
    "err_db_busy": ("数据库正忙（可能有大批量导入正在进行），请稍后重试。您的操作未保存。",
                    "The database is busy (a large import may be running); please try again shortly. Nothing was saved."),
    "err_db_failed": ("数据库操作失败，未保存任何更改。请重试；如仍失败请联系管理员。",
                      "The database refused the operation and nothing was saved. Try again; if it persists, contact "
                      "an administrator."),
    "demo_notice": ("演示模式：演示数据与下列演示账号仅供本机试用，请勿录入真实数据。正式使用请设置 DATABASE_URL 或 CRHQ_DEMO=0。",
                    "Demo mode: demo data and the demo accounts below are for trying the app on this machine only; "
                    "do not enter real data. For real use set DATABASE_URL or CRHQ_DEMO=0."),
    "err_demo_not_local": ("演示模式只能在本机（127.0.0.1）上运行：登录页会显示演示账号的密码。请用 --server.address 127.0.0.1 "
                           "启动，或设置 CRHQ_DEMO=0 与 DATABASE_URL 正式运行，或明确设置 CRHQ_DEMO=1。",
                           "Demo mode runs on this machine only (127.0.0.1): its login page shows the demo accounts' "
                           "passwords. Start with --server.address 127.0.0.1, or run for real with CRHQ_DEMO=0 and "
                           "DATABASE_URL, or set CRHQ_DEMO=1 explicitly."),
    "demo_accounts": ("演示账号（仅演示模式显示）", "Demo accounts (shown in demo mode only)"),
    "seeding": ("首次启动：正在生成演示数据，请稍候……", "First start: generating demo data, please wait…"),
    "err_login_failed": ("登录未成功：用户名或密码错误，或账号已停用或已锁定（连续失败 5 次锁定 {minutes} 分钟）。",
                         "Login refused: wrong username or password, or the account is disabled or locked "
                         "(5 failures in a row lock it for {minutes} min)."),
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
    "saved_n": ("已保存，共 {n} 条。", "Saved: {n} in all."),
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
    # organisation scope (SPEC §11)
    "scope": ("数据范围", "Data scope"),
    "scope_group": ("集团（全部）", "Group (everything)"),
    "scope_region": ("区域", "Regions"),
    "scope_company": ("公司", "Companies"),
    "scope_project": ("项目", "Projects"),
    "scope_signed_in": ("数据范围：{scope}", "Data scope: {scope}"),
    # the register's queue view per escalation level (SPEC §11 hand-over)
    "queue": ("队列", "Queue"),
    "queue_all": ("全部", "All"),
    "queue_0": ("本公司队列（0 级）", "Local company (level 0)"),
    "queue_1": ("总部队列（1 级）", "HQ (level 1)"),
    "queue_2": ("集团领导队列（2 级）", "Leadership (level 2)"),
    "scope_edit": ("修改数据范围", "Change data scope"),
    "scope_kind": ("范围类型", "Scope kind"),
    "scope_kind_entries": ("区域 / 公司 / 项目", "Regions / companies / projects"),
    "scope_saved": ("{user} 的数据范围已更新，其会话已失效。", "{user}'s data scope is updated; their sessions are ended."),
    "scope_empty": ("请至少选择一个区域、公司或项目，或选择“集团”。",
                    "Choose at least one region, company or project, or choose the whole group."),
    "err_scope_entry": ("数据范围“{entry}”格式不正确：应为 group、region:区域、company:公司 或 project:公司/项目。",
                        "Scope entry “{entry}” is not valid: use group, region:NAME, company:NAME or "
                        "project:COMPANY/PROJECT."),
    "err_scope_unknown": ("数据范围“{entry}”不存在。", "Scope entry “{entry}” does not exist."),
    "err_scope_admin": ("管理员的数据范围始终为集团。", "An administrator's scope is always the whole group."),
    "err_out_of_scope": ("“{name}”（{kind}）不在您的数据范围内。", "“{name}” ({kind}) is outside your data scope."),
    "err_write_out_of_scope": ("该项目不在您的数据范围内，不能修改或录入。",
                               "That project is outside your data scope: you cannot record or change it."),
    "err_record_out_of_scope": ("记录 {ref} 不在您的数据范围内。", "Record {ref} is outside your data scope."),
    "err_responder_scope": ("首问责任人“{user}”须为在用的客服或管理员账号，且其数据范围覆盖该问题的项目。",
                            "The first responder “{user}” must be an active staff or admin account whose data "
                            "scope covers the issue's project."),
    "err_password_short": ("密码至少 {n} 位。", "A password needs at least {n} characters."),
    "err_cannot_disable_self": ("不能停用当前登录的账号。", "You cannot disable your own account."),
}


def t(key: str, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """The string for `key` in `lang`, formatted with params; unknown keys show the key itself."""
    zh_en = STRINGS.get(key)
    text = key if zh_en is None else zh_en[0 if lang == "zh" else 1]
    return text.format(**params) if params else text


_MARKDOWN_SPECIAL = set("\\`*_{}[]()<>#|~:$!")


def md_escape(value: str) -> str:
    """User text made inert for Streamlit's markdown contexts (captions, messages, headers, labels):
    links, images, HTML, emphasis, math and colour/icon directives all show as the characters typed."""
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in value)


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
    "imp_err_too_many_rows": ("文件超过 {limit} 行，未导入。请拆分为多个文件。",
                              "The file has more than {limit} rows and was not imported. Split it into several files."),
    "imp_err_too_many_columns": ("文件有 {n} 列，超过上限 {limit} 列，未导入。",
                                 "The file has {n} columns, more than the limit of {limit}; it was not imported."),
    "imp_err_xlsx_too_big": ("Excel 文件解压后约 {mb} MB（上限 {limit} MB）或压缩比异常，未导入。请另存为 CSV 后导入。",
                             "The Excel file unpacks to about {mb} MB (limit {limit} MB) or is compressed abnormally;"
                             " it was not imported. Save it as CSV and import that."),
    "imp_err_fields": ("第 {line} 行有 {saw} 个字段，而表头只有 {expected} 列：请检查多余的逗号或引号。",
                       "Line {line} has {saw} fields but the header has {expected} columns: look for a stray comma"
                       " or quote."),
    "imp_err_busy": ("数据库正忙，导入未完成，未写入任何数据。请稍后重试。",
                     "The database is busy; the import did not finish and nothing was written. Try again shortly."),
    "imp_err_database": ("导入时数据库出错（{detail}），未写入任何数据。",
                         "The database refused the import ({detail}); nothing was written."),
    "imp_err_partial": ("导入中断，且已写入的部分未能全部撤销：请联系管理员检查最近导入的数据。",
                        "The import was interrupted and what it had written could not all be undone: ask an"
                        " administrator to check the latest imported records."),
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
    "search_hint": ("编号、内容、投诉人、电话或项目", "Ref, text, complainant, phone or project"),
    "err_link_dates": ("链接中的日期无效或超出范围（{earliest} 至 {latest}），已忽略。",
                       "The link's dates are invalid or out of range ({earliest} to {latest}) and were ignored."),
    "search_hint_masked": ("编号、内容或项目", "Ref, text or project"),
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
    "escalate_hq": ("升级至总部（移交总部队列）", "Escalated to HQ (handed to HQ's queue)"),
    "escalate_leadership": ("升级至集团领导", "Escalated to leadership"),
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

STRINGS.update({
    "nav_listening": ("六个一倾听", "Six Ones listening"),
    "listening_title": ("“六个一”倾听活动", "“Six Ones” employee listening"),
    "department": ("部门", "Department"),
    "by_department": ("按部门", "By department"),
    "lis_trend": ("月度参与率（按层级）", "Monthly participation rate by tier"),
    "tier_all": ("全员", "Everyone"), "tier_management": ("管理层", "Management"), "tier_staff": ("员工", "Staff"),
    "rate": ("比率", "Rate"),
    "lis_league": ("公司与部门排行", "Company and department league table"),
    "lis_coverage": ("各类活动覆盖", "Coverage of each activity type"),
    "lis_employees_did": ("参与人数", "Employees who did it"),
    "lis_activities": ("活动次数", "Activities"),
    "lis_share_of_headcount": ("占在册人数", "Share of headcount"),
    "lis_findings": ("问题发现", "Findings"),
    "lis_col_activity_date": ("活动日期", "Date"),
    "lis_col_employee_no": ("工号", "Employee no."),
    "lis_col_name": ("姓名", "Name"),
    "lis_col_company": ("公司", "Company"),
    "lis_col_department": ("部门", "Department"),
    "lis_col_activity_type": ("活动类型", "Activity type"),
    "lis_col_finding": ("问题发现", "Finding"),
    "lis_col_issue_ref": ("改进事项", "Improvement item"),
    "lis_col_issue_status": ("事项状态", "Item status"),
    "lis_already_item": ("该发现已转为改进事项 {ref}。", "This finding is improvement item {ref}."),
    "lis_make_item": ("将此发现转为改进事项（在问题跟踪中闭环）", "Turn this finding into an improvement item (tracked to closure)"),
    "lis_item_created": ("已创建改进事项 {ref}。", "Improvement item {ref} created."),
    "lis_record": ("登记倾听活动", "Record a listening activity"),
    "lis_find_employee": ("查找员工（工号或姓名）", "Find the employee (number or name)"),
    "lis_find_hint": ("如 E000123 或 张三", "e.g. E000123 or 张三"),
    "lis_no_employee": ("没有匹配的员工。", "No employee matches."),
    "lis_employee": ("员工", "Employee"),
    "import_employees": ("导入员工名单", "Import the employee roster"),
    "import_listening": ("导入倾听活动", "Import listening activities"),
    "admin_activity_types": ("倾听活动类型", "Listening activity types"),
    "activity_types_explain": ("“六个一”完成率按勾选的类型计算；新增类型请填写英文代码（小写字母、数字、下划线）和中英文名称。",
                               "The Six Ones completion rate counts the ticked types; a new type needs a code "
                               "(lowercase letters, digits, _) and its Chinese and English names."),
    "type_code": ("代码", "Code"),
    "type_active": ("计入", "Counted"),
})

STRINGS.update({
    "nav_surveys": ("满意度调查", "Satisfaction surveys"),
    "surveys_title": ("满意度调查", "Satisfaction surveys"),
    "srv_vs_previous": ("较上期", "vs previous period"),
    "srv_vs_last_year": ("同比", "vs last year"),
    "srv_significant": ("显著", "significant"),
    "srv_not_significant": ("不显著", "not significant"),
    "srv_untested": ("样本不足，未检验", "too few answers to test"),
    "srv_card_detail": ("n = {n} · 95% 区间 {low}–{high}", "n = {n} · 95% interval {low}–{high}"),
    "srv_card_yoy": ("同比：{diff}（{verdict}）", "vs last year: {diff} ({verdict})"),
    "srv_method_note": ("分数统一换算为 0–100 分；满意率为各自量表最高两档占比；区间为 95%（比率用 Wilson，均值用 t）；"
                        "变化的显著性为双侧 5% 检验（比率用两比例 z 检验，均值用 Welch t 检验）。",
                        "Scores are put on 0–100; the satisfaction rate is the top two boxes of each scale; intervals "
                        "are 95% (Wilson for rates, t for means); a change is significant by a two-sided test at 5% "
                        "(two-proportion z-test for rates, Welch's t-test for means)."),
    "srv_trend": ("各触点月度趋势（阴影为 95% 区间）", "Monthly trend by touchpoint (band = 95% interval)"),
    "srv_trend_kpi": ("指标", "Measure"),
    "srv_trend_hint": ("点击折线上的点可查看该月该触点的答卷。", "Click a point to see the answers of that month and touchpoint."),
    "srv_benchmark": ("各维度与行业均值对比（{year} 年）", "Dimensions against the industry average ({year})"),
    "srv_benchmark_value": ("行业均值", "Industry average"),
    "srv_no_benchmark": ("管理员尚未录入 {year} 年的行业均值。", "An administrator has not entered the {year} industry averages yet."),
    "srv_heatmap": ("项目 × 维度得分", "Score by project × dimension"),
    "srv_heatmap_hint": ("点击格子可查看该项目的答卷。", "Click a cell to see that project's answers."),
    "srv_drivers": ("驱动因素：重要性（与总体满意度的相关系数）× 表现（得分）",
                    "Drivers: importance (correlation with overall satisfaction) × performance (score)"),
    "srv_drivers_note": ("右下象限（重要性高、得分低）为优先改进项；相关系数基于同时回答了该维度与总体满意度的答卷。",
                         "The lower-right quadrant (important, low score) is where to improve first; correlations use "
                         "answers that have both the dimension and overall satisfaction."),
    "srv_importance": ("重要性（相关系数 r）", "Importance (correlation r)"),
    "srv_performance": ("表现（得分）", "Performance (score)"),
    "srv_dimension": ("维度", "Dimension"),
    "touchpoint": ("触点", "Touchpoint"),
    "method": ("调查方式", "Method"),
    "download_csv": ("下载 CSV", "Download CSV"),
    "kpi_vs_industry": ("较行业均值", "vs industry average"),
    "kpi_yoy_change": ("同比变化", "Change vs last year"),
    "srv_score": ("得分", "Score"),
    "srv_responses_caption": ("“{what}”下的答卷：{n} 份（最多显示 500 份，不含受访者编号）",
                              "Answers behind “{what}”: {n} (500 at most, no respondent key)"),
    "srv_col_surveyed_on": ("调查日期", "Surveyed on"),
    "srv_col_scale": ("量表", "Scale"),
    "srv_col_vendor": ("调查机构", "Vendor"),
    "srv_col_recommend": ("推荐意愿", "Recommend"),
    "admin_benchmarks": ("行业均值", "Industry benchmarks"),
    "benchmarks_explain": ("每年每个维度一个行业均值（0–100 分）。保存会替换整张表；删除行即删除该值。",
                           "One industry average per year and dimension (0–100). Saving replaces the whole table; "
                           "deleting a row removes that value."),
    "year": ("年份", "Year"),
    "value": ("数值", "Value"),
    "err_benchmark_rows": ("第 {rows} 行无效：年份 2000–2100、维度为已知维度、数值 0–100，且每年每维度仅一行。",
                           "Rows {rows} are not valid: year 2000–2100, a known dimension, value 0–100, one row per "
                           "year and dimension."),
    "kpi_score_housing_quality": ("房屋质量得分", "Housing quality score"),
    "kpi_score_maintenance": ("维修服务得分", "Maintenance score"),
    "kpi_score_property_service": ("物业服务得分", "Property service score"),
    "kpi_score_complaint_handling": ("投诉处理得分", "Complaint handling score"),
})

STRINGS.update({f"kpi_{name}": pair for name, pair in {
    "headcount_management": ("管理层在册人数", "Management headcount"),
    "headcount_staff": ("员工在册人数", "Staff headcount"),
    "participants_management": ("管理层参与人数", "Management participants"),
    "participants_staff": ("员工参与人数", "Staff participants"),
    "six_ones_completion_rate": ("六个一完成率", "Six Ones completion rate"),
    "findings": ("问题发现数", "Findings"),
    "projects_covered": ("覆盖项目数", "Projects covered"),
    "activities": ("监督活动次数", "Supervision activities"),
    "participant_count": ("活动参与人次", "Activity participants"),
    "on_time_closure_rate": ("按时办结率", "On-time closure rate"),
    "median_days_to_resolve": ("解决天数中位数", "Median days to resolve"),
    "feedback_satisfaction": ("监督员反馈满意率", "Supervisor feedback satisfaction"),
}.items() if f"kpi_{name}" not in STRINGS})

STRINGS.update({
    "target_is": ("目标 {value}", "target {value}"),
    "target_none": ("未设目标", "no target set"),
    "open_area": ("查看明细", "Open the page"),
    "league_title": ("公司排名", "Company league table"),
    "league_note": ("综合得分 = 各项头部指标“实际 ÷ 目标”的平均（单项封顶 120%），只计有目标且有数据的指标；"
                    "绿色达标 · 黄色预警区间 · 红色未达标 · 无底色为无目标或无数据。",
                    "Composite = the mean of value ÷ target over the headline KPIs that have both (each capped at "
                    "120%); green on target · yellow within the amber band · red off target · no colour: no target or no data."),
    "league_hint": ("选中一行可打开该公司的各领域页面。", "Select a row to open that company's area pages."),
    "open_for_company": ("打开该公司的：", "Open for this company:"),
    "rank": ("排名", "Rank"),
    "composite": ("综合得分", "Composite"),
    "area": ("领域", "Area"),
    "previous": ("上期", "Previous"),
    "current": ("本期", "Current"),
    "change": ("变化", "Change"),
    "movers_title": ("变化最大的五项", "The five biggest movers"),
    "movers_note": ("公司 × 指标中较上期变化显著（双侧 5% 检验）且幅度最大者；比率以百分点计。",
                    "Company × KPI with the largest change against the previous period that is significant "
                    "(two-sided test at 5%); rates in percentage points."),
    "movers_none": ("本期没有显著变化。", "No significant change this period."),
    "open_mover": ("打开该公司的领域页面", "Open the area page for this company"),
    "report_title": ("月度报告", "Monthly report"),
    "report_month": ("月份", "Month"),
    "report_prepare": ("生成月报", "Prepare the report"),
    "report_preparing": ("正在生成月报…", "Preparing the report…"),
    "report_download": ("下载 {month} 月报（Excel）", "Download the {month} report (Excel)"),
    "admin_targets": ("指标目标", "KPI targets"),
    "targets_explain": ("每个头部指标一个目标，可按业务线或公司细分（更细的优先）；比率填 0–1（如 0.98），得分填 0–100；"
                        "预警区间：低于目标但在该差距内显示黄色。",
                        "One target per headline KPI, optionally per business line or company (the most specific "
                        "wins); rates as 0–1 (e.g. 0.98), scores 0–100; amber: below target but within this gap."),
    "target": ("目标", "Target"),
    "amber": ("预警区间", "Amber band"),
    "err_target_rows": ("第 {rows} 行无效：请选择头部指标、已知业务线/公司，比率 0–1、得分 0–100，且范围不重复。",
                        "Rows {rows} are not valid: pick a headline KPI, a known business line/company, rates "
                        "0–1, scores 0–100, one row per scope."),
})

STRINGS.update({
    "nav_explore": ("自助分析", "Explore"),
    "explore_title": ("自助分析", "Explore"),
    "saved_views": ("我的视图", "My saved views"),
    "my_views": ("已保存的视图", "Saved views"),
    "no_views": ("还没有保存的视图", "No saved views yet"),
    "open": ("打开", "Open"),
    "delete": ("删除", "Delete"),
    "view_name": ("视图名称", "View name"),
    "save_view": ("保存当前视图", "Save this view"),
    "view_saved": ("已保存视图“{name}”。", "Saved view “{name}”."),
    "view_opened": ("已打开视图“{name}”。", "Opened view “{name}”."),
    "view_deleted": ("已删除视图“{name}”。", "Deleted view “{name}”."),
    "dataset": ("数据集", "Dataset"),
    "measure": ("度量", "Measure"),
    "group_by": ("分组维度", "Group by"),
    "group_by_2": ("第二分组维度（可选）", "Second group-by (optional)"),
    "chart_type": ("图表类型", "Chart type"),
    "chart_bar": ("柱形图", "Bar"),
    "chart_line": ("折线图", "Line"),
    "chart_heatmap": ("热力图", "Heat map"),
    "chart_table": ("表格", "Table"),
    "measure_count": ("记录数", "Count of rows"),
    "measure_mean": ("平均值", "Mean"),
    "measure_sum": ("合计", "Sum"),
    "column_followup_score": ("回访评分", "follow-up score"),
    "column_escalation_level": ("升级层级", "escalation level"),
    "column_reopen_count": ("重开次数", "reopen count"),
    "column_hours_to_resolve": ("解决时长（小时）", "hours to resolve"),
    "column_overall_score": ("总体满意度（0–100）", "overall (0–100)"),
    "column_housing_quality_score": ("房屋质量（0–100）", "housing quality (0–100)"),
    "column_maintenance_score": ("维修服务（0–100）", "maintenance (0–100)"),
    "column_property_service_score": ("物业服务（0–100）", "property service (0–100)"),
    "column_complaint_handling_score": ("投诉处理（0–100）", "complaint handling (0–100)"),
    "column_recommend": ("推荐意愿（0–10）", "recommend (0–10)"),
    "download_pivot_csv": ("下载透视表 CSV", "Download the pivot (CSV)"),
    "download_pivot_xlsx": ("下载透视表 Excel", "Download the pivot (Excel)"),
    "download_rows": ("下载明细行（{n} 行）", "Download the rows ({n})"),
    "err_filter_area": ("该数据集不支持所选的筛选条件（如倾听活动只能按公司、城市、部门筛选），请调整筛选。",
                        "This dataset cannot be filtered that way (listening, for one, only by company, city and "
                        "department); change the filter."),
    "err_explore_dimension": ("分组维度不适用于该数据集。", "That grouping does not apply to this dataset."),
    "err_explore_measure": ("度量不适用于该数据集。", "That measure does not apply to this dataset."),
    "err_explore_no_rows": ("该数据集没有明细行下载。", "This dataset has no row download."),
    "err_view_name": ("请填写视图名称（最多 80 字）。", "Give the view a name (80 characters at most)."),
})

STRINGS.update({
    "reveal_contact": ("显示投诉人联系方式", "Show the complainant's contact details"),
    "reveal_help": ("姓名和电话默认脱敏；查看完整信息会记入审计日志。",
                    "Names and phones are masked by default; showing them in full is recorded in the audit log."),
})

STRINGS.update({
    "reveal_phones": ("显示监督员电话", "Show supervisors' phones"),
    "reveal_contact_supervisor": ("显示监督员联系方式", "Show the supervisors' contact details"),
})

STRINGS.update({  # statutory calendar (SPEC §13)
    "cal_title": ("法定工作日历", "Statutory working calendar"),
    "cal_year": ("年份", "Year"),
    "cal_source": ("来源：{source}", "Source: {source}"),
    "cal_source_override": ("管理员录入（国务院通知）", "entered by an admin (State Council notice)"),
    "cal_source_library": ("节假日库（holidays）", "holiday library (holidays)"),
    "cal_source_estimated": ("估算（法定节日，未含调休）", "estimated (statutory holidays, no make-up days)"),
    "cal_holidays": ("放假日期（每行一个日期或区间，如 2027-02-05..2027-02-11）",
                     "Days off (one date or range per line, e.g. 2027-02-05..2027-02-11)"),
    "cal_workdays": ("调休上班日期（周末上班，每行一个日期）", "Make-up working days (weekends worked, one date per line)"),
    "cal_file": ("或上传文件（CSV/Excel，列：日期/date、类型/kind = 放假/holiday 或 上班/workday）",
                 "Or upload a file (CSV/Excel, columns 日期/date and 类型/kind = 放假/holiday or 上班/workday)"),
    "cal_save": ("保存该年日历", "Save this year's calendar"),
    "cal_saved": ("{year} 年日历已保存，{n} 条投诉的时限已重算。", "The {year} calendar is saved; {n} complaints' due times were recomputed."),
    "cal_shown_holidays": ("放假日", "Days off"),
    "cal_shown_workdays": ("调休上班日", "Make-up working days"),
    "cal_banner": ("{year} 年法定节假日安排尚未录入：跨 {year} 年的时限按估算日历计算（未含调休）。请管理员在“系统管理 → 法定工作日历”录入国务院通知。",
                   "The {year} statutory holiday schedule has not been entered: due times reaching into {year} are "
                   "estimated (no make-up working days). An admin should enter the State Council notice under "
                   "Administration → Statutory working calendar."),
    "col_due_estimated": ("时限（估算）", "Due times estimated"),
    "estimated_suffix": ("（估算）", " (estimated)"),
    "cal_err_rows": ("日历有误，未保存：", "The calendar has errors and was not saved:"),
    "cal_err_line": ("第 {line} 行：{message}", "Line {line}: {message}"),
    "cal_err_date": ("“{value}”不是日期或日期区间（YYYY-MM-DD 或 YYYY-MM-DD..YYYY-MM-DD）",
                     "“{value}” is not a date or a date range (YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD)"),
    "cal_err_range": ("“{value}”：区间须从早到晚且不超过 {max} 天", "“{value}”: a range runs forward and spans at most {max} days"),
    "cal_err_kind": ("类型“{value}”无法识别（放假/holiday 或 上班/workday）",
                     "kind “{value}” is not known (放假/holiday or 上班/workday)"),
    "cal_err_headers": ("文件须有“日期/date”和“类型/kind”两列。", "The file needs a 日期/date and a 类型/kind column."),
    "cal_err_outside": ("{value} 不在 {year} 年内", "{value} is not in {year}"),
    "cal_err_workday_weekday": ("{value} 是工作日，调休上班日应为周六或周日", "{value} is a weekday; make-up working days are Saturdays or Sundays"),
    "cal_err_both": ("{value} 同时列为放假和上班", "{value} is listed both as a day off and as a working day"),
    "cal_err_no_holidays": ("{year} 年未录入任何放假日期", "No days off were entered for {year}"),
    "cal_err_year": ("年份 {year} 无效", "{year} is not a valid year"),
})
