"""Reference data as data: every vocabulary of SPEC §2–6 with zh/en labels, aliases and lifecycles."""
from __future__ import annotations

import functools
import math
import unicodedata
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Term:
    code: str
    zh: str
    en: str
    aliases: tuple[str, ...] = field(default=())


def _v(*terms: Term) -> dict[str, Term]:
    return {t.code: t for t in terms}


BUSINESS_LINES = _v(
    Term("development", "地产", "Development", ("住宅开发", "房地产", "开发")),
    Term("property_management", "物业", "Property management", ("物业管理", "物业服务")),
    Term("commercial", "商业", "Commercial"),
    Term("apartment", "公寓", "Apartment"),
    Term("other", "其他", "Other"),
)

CHANNELS = _v(
    Term("hotline", "热线", "Hotline", ("电话", "400热线")),
    Term("wechat", "微信公众号", "WeChat", ("微信",)),
    Term("mini_program", "小程序", "Mini program", ("微信小程序",)),
    Term("email", "邮件", "Email", ("电子邮件",)),
    Term("letter", "信函", "Letter"),
    Term("visit", "来访", "Visit", ("上门",)),
    Term("web_form", "在线表单", "Web form", ("网站",)),
    Term("forum", "论坛", "Forum", ("网络论坛",)),
    Term("other", "其他", "Other"),
)

SEVERITIES = _v(
    Term("ordinary", "一般", "Ordinary"),
    Term("important", "重要", "Important"),
    Term("urgent", "紧急", "Urgent"),
)

COMPLAINT_STATUSES = _v(
    Term("received", "已受理", "Received"),
    Term("in_progress", "处理中", "In progress"),
    Term("resolved", "已解决", "Resolved"),
    Term("verified", "已回访", "Verified"),
    Term("closed", "已归档", "Closed"),
    Term("void", "无效", "Void"),
)
COMPLAINT_RESOLVED = ("resolved", "verified", "closed")
COMPLAINT_OPEN = ("received", "in_progress")
# SPEC §3: the only moves a complaint may make; anything else is refused.
COMPLAINT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("in_progress", "void"),
    "in_progress": ("resolved", "void"),
    "resolved": ("verified", "in_progress", "void"),
    "verified": ("closed", "in_progress", "void"),
    "closed": (),
    "void": (),
}

CATEGORIES = _v(
    Term("housing_quality", "房屋质量", "Housing quality"),
    Term("maintenance", "维修服务", "Maintenance"),
    Term("property_service", "物业服务", "Property service"),
    Term("sales_contract", "销售与合同", "Sales & contract"),
    Term("delivery", "交付", "Delivery"),
    Term("design_facilities", "设计与配套", "Design & facilities"),
    Term("decoration", "装修", "Decoration"),
    Term("other", "其他", "Other"),
)

ESCALATION_LEVELS = _v(
    Term("0", "地区公司", "Local company"),
    Term("1", "总部客服部", "HQ customer service"),
    Term("2", "集团领导", "Group leadership"),
)

SURVEY_METHODS = _v(
    Term("phone", "电话", "Phone", ("电话调查",)),
    Term("face_to_face", "面访", "Face to face"),
    Term("sms", "短信", "SMS"),
    Term("online", "线上", "Online", ("网络", "在线")),
)

TOUCHPOINTS = _v(
    Term("signing_1m", "签约后1个月", "1 month after signing"),
    Term("signing_6m", "签约后6个月", "6 months after signing"),
    Term("delivery_1m", "交付后1个月", "1 month after delivery"),
    Term("delivery_6m", "交付后半年", "6 months after delivery", ("交付后6个月",)),
    Term("delivery_2y", "交付后2年", "2 years after delivery"),
    Term("delivery_2y_plus", "交付2年以上", "Over 2 years after delivery"),
    Term("commercial", "商业客户", "Commercial customers"),
)

SURVEY_DIMENSIONS = _v(
    Term("overall", "总体满意度", "Overall satisfaction"),
    Term("housing_quality", "房屋质量", "Housing quality"),
    Term("maintenance", "维修服务", "Maintenance"),
    Term("property_service", "物业服务", "Property service"),
    Term("complaint_handling", "投诉处理", "Complaint handling"),
)

LISTENING_ACTIVITY_TYPES = _v(
    Term("visit_customer", "走访一位客户", "Visit a customer"),
    Term("answer_hotline", "接听一次热线", "Answer the hotline"),
    Term("handle_complaint", "处理一单投诉", "Handle a complaint"),
    Term("attend_delivery", "参加一次交付", "Attend a delivery"),
    Term("experience_service", "体验一次服务", "Experience a service"),
    Term("make_suggestion", "提出一条建议", "Make a suggestion"),
)

SUPERVISION_ACTIVITY_TYPES = _v(
    Term("site_inspection", "质量巡检", "Site inspection", ("工地开放",)),
    Term("meeting", "座谈会", "Meeting"),
    Term("delivery_inspection", "交付验房", "Delivery inspection"),
    Term("community_walk", "园区体验", "Community walk"),
    Term("other", "其他", "Other"),
)

RESPONSIBLE_PARTIES = _v(
    Term("property", "物业", "Property"),
    Term("development", "地产", "Development"),
    Term("third_party", "其他主体", "Third party"),
)

ISSUE_STATUSES = _v(
    Term("open", "待受理", "Open"),
    Term("acknowledged", "已受理", "Acknowledged"),
    Term("in_progress", "处理中", "In progress"),
    Term("resolved", "已解决", "Resolved"),
    Term("feedback_given", "已反馈监督员", "Feedback given"),
    Term("closed", "已关闭", "Closed"),
)
ISSUE_DONE = ("resolved", "feedback_given", "closed")
ISSUE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("acknowledged",),
    "acknowledged": ("in_progress",),
    "in_progress": ("resolved",),
    "resolved": ("feedback_given", "in_progress"),
    "feedback_given": ("closed", "in_progress"),
    "closed": (),
}

ROLES = _v(
    Term("executive", "集团领导", "Executive"),
    Term("staff", "客户关系专员", "Customer-relations staff"),
    Term("admin", "管理员", "Administrator"),
)

VOCABULARIES: dict[str, dict[str, Term]] = {
    "business_line": BUSINESS_LINES,
    "channel": CHANNELS,
    "severity": SEVERITIES,
    "complaint_status": COMPLAINT_STATUSES,
    "category": CATEGORIES,
    "escalation_level": ESCALATION_LEVELS,
    "method": SURVEY_METHODS,
    "touchpoint": TOUCHPOINTS,
    "dimension": SURVEY_DIMENSIONS,
    "listening_activity_type": LISTENING_ACTIVITY_TYPES,
    "supervision_activity_type": SUPERVISION_ACTIVITY_TYPES,
    "responsible_party": RESPONSIBLE_PARTIES,
    "issue_status": ISSUE_STATUSES,
    "role": ROLES,
}


def normalise_text(value: str) -> str:
    """NFKC, trimmed, case-folded, inner whitespace removed: for matching names and codes."""
    return "".join(unicodedata.normalize("NFKC", value).split()).casefold()


@functools.cache
def _names(vocabulary: str) -> dict[str, str]:
    """normalised name → code, for every code, label and alias of a vocabulary (built once)."""
    out: dict[str, str] = {}
    for term in VOCABULARIES[vocabulary].values():
        for name in (term.code, term.zh, term.en, *term.aliases):
            out.setdefault(normalise_text(name), term.code)
    return out


def lookup(vocabulary: str, value: str) -> str | None:
    """The canonical code for an English code/label or Chinese label/alias, else None."""
    return _names(vocabulary).get(normalise_text(value))


def label(vocabulary: str, code: str | None, lang: str) -> str:
    if code is None or (isinstance(code, float) and math.isnan(code)):  # a missing key read back by pandas
        return "—"
    term = VOCABULARIES[vocabulary].get(str(code))
    if term is None:
        return str(code)
    return term.zh if lang == "zh" else term.en
