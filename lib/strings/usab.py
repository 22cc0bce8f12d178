"""Usability (issue #23): admin confirmations, targets in %, minimum sample on Explore and Listening."""
from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # admin: your own account, confirmations, what was done
    "ux_err_own_role": ("不能更改当前登录账号自己的角色。", "You cannot change your own role."),
    "ux_self_note": ("这是您自己的账号：只能重置密码，不能停用或更改自己的角色。",
                     "This is your own account: you can reset its password, not disable it or change its role."),
    "ux_confirm_disable": ("确认停用用户 {user}？其所有会话将立即结束。",
                           "Disable user {user}? All of their sessions end at once."),
    "ux_confirm_enable": ("确认启用用户 {user}？", "Enable user {user}?"),
    "ux_confirm_set_role": ("确认将用户 {user} 的角色改为“{role}”？其所有会话将结束。",
                            "Change {user}'s role to “{role}”? All of their sessions end."),
    "ux_confirm_reset_password": ("确认重置用户 {user} 的密码？其所有会话将结束。",
                                  "Reset {user}'s password? All of their sessions end."),
    "ux_confirm_scope": ("确认将用户 {user} 的数据范围改为：{scope}？其所有会话将结束。",
                         "Change {user}'s data scope to: {scope}? All of their sessions end."),
    "ux_confirm_targets": ("确认保存目标？表中删除的 {removed} 条目标将被移除。",
                           "Save the targets? The {removed} target(s) deleted in the table will be removed."),
    "ux_confirm_delete_view": ("确认删除视图“{name}”？", "Delete the view “{name}”?"),
    "ux_confirm_yes": ("确认", "Confirm"),
    "ux_confirm_no": ("取消", "Cancel"),
    "ux_cancelled": ("已取消，未做任何更改。", "Cancelled: nothing was changed."),
    "ux_done_disable": ("已停用用户 {user}。", "User {user} is disabled."),
    "ux_done_enable": ("已启用用户 {user}。", "User {user} is enabled."),
    "ux_done_set_role": ("用户 {user} 的角色已改为“{role}”。", "{user}'s role is now “{role}”."),
    "ux_done_reset_password": ("用户 {user} 的密码已重置。", "{user}'s password is reset."),
    # targets edited as percentages
    "ux_targets_explain": ("每个头部指标一个目标，可按业务线或公司细分（更细的优先）；比率按百分比填写（98 表示 98 %），"
                           "得分填 0–100 分；预警区间与目标同单位（比率为百分点）：低于目标但在该差距内显示黄色。",
                           "One target per headline KPI, optionally per business line or company (the most specific "
                           "wins); rates as percentages (98 for 98 %), scores 0–100 points; the amber band in the "
                           "target's unit (percentage points for rates): below target but within it reads amber."),
    "ux_target_col": ("目标（% 或分）", "Target (% or points)"),
    "ux_amber_col": ("预警区间（百分点或分）", "Amber band (pt or points)"),
    "ux_unit": ("单位", "Unit"),
    "ux_unit_rate": ("%", "%"),
    "ux_unit_score": ("分", "points"),
    "ux_err_target_rows": ("第 {rows} 行无效，未保存任何目标。", "Rows {rows} are not valid; no target was saved."),
    "ux_target_not_number": ("第 {rows} 行：目标和预警区间须为数字。", "Row(s) {rows}: target and amber band must be numbers."),
    "ux_target_no_kpi": ("第 {rows} 行：请选择指标。", "Row(s) {rows}: pick an indicator."),
    "ux_target_missing": ("第 {rows} 行：请填写目标。", "Row(s) {rows}: enter a target."),
    "ux_target_range_rate": ("第 {rows} 行：比率按百分比填写，目标和预警区间须在 0–100 之间（90 表示 90 %）。",
                             "Row(s) {rows}: rates are percentages; target and amber band must be 0–100 (90 for 90 %)."),
    "ux_target_range_score": ("第 {rows} 行：得分的目标和预警区间须在 0–100 分之间。",
                              "Row(s) {rows}: a score's target and amber band must be 0–100 points."),
    "ux_target_fraction": ("第 {rows} 行：比率按百分比填写——90 % 请填 90，而不是 0.9。",
                           "Row(s) {rows}: rates are percentages — enter 90 for 90 %, not 0.9."),
    "ux_target_scope": ("第 {rows} 行：业务线或公司未知，或与另一行的指标、业务线和公司重复。",
                        "Row(s) {rows}: unknown business line or company, or the same indicator, business line "
                        "and company as another row."),
    # minimum sample on Explore and Listening
    "ux_few_note": ("灰色“样本不足”：样本量（n）低于管理员设定的最低样本量（{rule}），数值不着色。",
                    "Grey “too few”: fewer cases (n) than the admin's minimum sample ({rule}); the value is not coloured."),
}
