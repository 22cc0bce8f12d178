"""The monthly report: an Excel workbook with a summary sheet and a sheet per area — every KPI of the
month against its target and the same month last year, a breakdown by company and a native Excel
chart — with bilingual headers (中文 / English). Figures come from lib.kpis.areas (the CLI's path)."""
from __future__ import annotations

import calendar
import io
from dataclasses import replace
from datetime import date

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from lib import scope
from lib.exports import neutralise, neutralise_workbook
from lib.i18n import t
from lib.kpis import areas
from lib.kpis.common import KpiFilter
from lib.services import overview, settings, targets

FILL = {"green": "C6EFCE", "amber": "FFEB9C", "red": "FFC7CE"}
STATUS = {"green": ("达标", "On target"), "amber": ("预警", "Amber"), "red": ("未达标", "Off target")}
RATE_WORDS = ("rate", "share", "coverage")  # followup_coverage, check_coverage are rates too
AREA_SHEET = {"complaints": "投诉 Complaints", "surveys": "满意度 Surveys", "listening": "倾听 Listening",
              "supervisors": "监督小组 Supervisors", "checks": "抽查回访 Checks",
              "followups": "不满意回访 Follow-ups"}
# The KPI each area's company chart shows.
CHART_KPI = {"complaints": "resolution_rate", "surveys": "satisfaction_score",
             "listening": "participation_rate", "supervisors": "issue_closure_rate", "checks": "check_coverage",
             "followups": "followup_on_time_rate"}
# The areas with a sheet of their own: the overview's areas, then HQ's follow-up of dissatisfied answers (SPEC §14).
SHEET_AREAS = (*areas.AREAS, *areas.SUPERVISION)
# Targets set for a whole year (the listening participation of the seed documents: 45% / 53.5% of the
# year's staff): the report compares them with the year to date, never with one month (issue #23).
ANNUAL = frozenset({"participation_rate", "participation_rate_staff", "participation_rate_management",
                    "six_ones_completion_rate"})
BASIS = {True: "年初至今 vs 年度目标 Year to date vs annual target", False: "本月 vs 目标 This month vs target"}
POINTS = '+0.0" pt";-0.0" pt";0.0" pt"'  # a change of a rate, in percentage points (value × 100)
TOO_FEW = "样本不足 too few"
GREY = "F2F2F2"


def recent_months(today: date, n: int) -> list[str]:
    """The last n months as "YYYY-MM", this month first."""
    y, m, out = today.year, today.month, []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out


def month_filter(month: str) -> KpiFilter:
    try:
        year, mon = (int(p) for p in month.split("-"))
        return KpiFilter(date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1]))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"month must be YYYY-MM, not {month!r}") from exc


def bilingual(key: str) -> str:
    zh, en = t(key, "zh"), t(key, "en")
    return zh if zh == en else f"{zh} {en}"


def _is_rate(kpi: str) -> bool:
    return any(word in kpi for word in RATE_WORDS)


def _number_format(kpi: str) -> str:
    if _is_rate(kpi):
        return "0.0%"
    if kpi in ("satisfaction_score", "nps", "yoy_change", "vs_industry") or kpi.startswith(("score_", "median", "p90")):
        return "0.0"
    return "#,##0"


def _change(kpi: str, now: float | None, then: float | None) -> tuple[float | None, str]:
    """A change and its number format: rates in percentage points ("+3.0 pt"), not as a percentage."""
    if now is None or then is None:
        return None, "0.0"
    if _is_rate(kpi):
        return 100.0 * (now - then), POINTS
    return now - then, "+0.0;-0.0;0.0" if _number_format(kpi) == "0.0" else "+#,##0;-#,##0;0"


def _header(ws, row: int, titles: list[str]) -> None:
    for col, title in enumerate(titles, start=1):
        cell = ws.cell(row=row, column=col, value=title)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _kpi_rows(ws, start_row: int, area: str, now: dict, year_ago: dict, table: dict, ytd: dict) -> int:
    _header(ws, start_row, ["指标 KPI", "本月 This month", "目标 Target", "状态 Status", "去年同月 Same month last year",
                            "同比 Change", "年初至今 Year to date", "对比口径 Compared"])
    row = start_row + 1
    for kpi, value in now.items():
        if isinstance(value, (dict, list)):
            continue
        target = targets.resolve(table, kpi) if kpi in targets.KIND_OF else None
        annual = kpi in ANNUAL
        colour = targets.colour(ytd.get(kpi) if annual else value, target)
        last = year_ago.get(kpi)
        diff, diff_format = _change(kpi, value, last)
        values = [bilingual(f"kpi_{kpi}"), value, None if target is None else target.target,
                  None if colour is None else " ".join(STATUS[colour]), last, diff,
                  ytd.get(kpi) if annual else None, BASIS[annual] if target is not None else None]
        for col, v in enumerate(values, start=1):
            cell = ws.cell(row=row, column=col, value=v)
            if col in (2, 3, 5, 7) and v is not None:
                cell.number_format = _number_format(kpi)
            if col == 6 and v is not None:
                cell.number_format = diff_format
        if colour:
            ws.cell(row=row, column=4).fill = PatternFill("solid", fgColor=FILL[colour])
        row += 1
    return row


def _company_rows(ws, start_row: int, area: str, groups: list[dict], minimum: dict[str, int]) -> tuple[int, int]:
    """Breakdown by company; returns (first data row, last data row). A headline KPI on fewer cases than
    the admin's minimum reads "样本不足 too few", greyed, and is left out of the chart (issue #23)."""
    if not groups:
        ws.cell(row=start_row, column=1, value="无数据 No data")
        return start_row, start_row - 1
    names = [k for k, v in groups[0]["kpis"].items() if not isinstance(v, (dict, list))]
    chart_kpi = CHART_KPI[area]
    names = [chart_kpi, *[n for n in names if n != chart_kpi]]
    _header(ws, start_row, ["公司 Company", *[bilingual(f"kpi_{n}") for n in names]])
    row = start_row + 1
    for g in groups:
        ws.cell(row=row, column=1, value=neutralise(g["key"]) if isinstance(g["key"], str) else g["key"])
        for col, name in enumerate(names, start=2):
            if overview.too_few(name, g["kpis"], minimum):
                cell = ws.cell(row=row, column=col, value=TOO_FEW)
                cell.font = Font(color="999999")
                cell.fill = PatternFill("solid", fgColor=GREY)
                continue
            cell = ws.cell(row=row, column=col, value=g["kpis"].get(name))
            cell.number_format = _number_format(name)
        row += 1
    return start_row + 1, row - 1


def _chart(ws, area: str, header_row: int, first: int, last: int, anchor: str) -> None:
    if last < first:
        return
    chart = BarChart()
    chart.type = "bar"
    chart.title = bilingual(f"kpi_{CHART_KPI[area]}") + " · 公司 by company"
    chart.y_axis.numFmt = _number_format(CHART_KPI[area])
    chart.add_data(Reference(ws, min_col=2, min_row=header_row, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    chart.height, chart.width = max(7.5, 0.6 * (last - first + 1)), 18
    chart.legend = None
    ws.add_chart(chart, anchor)


def _league_rows(ws, start_row: int, league) -> None:
    """The company league of the month: rank among the N companies ranked, company, composite. A scoped
    reader's league holds its own companies only (overview.league), each with its rank among all."""
    ws.cell(row=start_row, column=1, value="公司排名 League").font = Font(bold=True)
    if league.empty:
        ws.cell(row=start_row + 1, column=1, value="无数据 No data")
        return
    _header(ws, start_row + 1, ["排名 Rank", "公司 Company", "综合达成 Composite"])
    for i, r in enumerate(league.itertuples(), start=start_row + 2):
        unranked = r.rank is None or r.rank != r.rank  # every KPI too few or missing
        ws.cell(row=i, column=1, value="— " + TOO_FEW if unranked else f"{r.rank} / {r.of}")
        ws.cell(row=i, column=2, value=neutralise(r.company))
        composite = ws.cell(row=i, column=3, value=None if r.composite is None or r.composite != r.composite
                            else r.composite / 100)
        composite.number_format = "0.0%"


def _cases_sheet(wb: Workbook, flt: KpiFilter, session: Session, reach: scope.Reach | None) -> None:
    """The month's new typical cases (issue #25): marked in the month, in the reader's scope."""
    from lib.services import cases
    from lib.vocab import label
    ws = wb.create_sheet("典型案例 Typical cases")
    ws["A1"] = f"本月新增典型案例 New typical cases — {flt.start:%Y-%m}"
    ws["A1"].font = Font(bold=True, size=14)
    frame = cases.month_cases(flt.start, flt.end, session=session, reach=reach)
    if frame.empty:
        ws["A3"] = "无数据 No data"
        return
    _header(ws, 3, ["投诉编号 Complaint ref", "标记日期 Marked on", "公司 Company", "项目 Project",
                    "业务线 Business line", "类别 Category", "标签 Tags", "根本原因 Root cause", "经验教训 Lessons",
                    "措施数 Actions", "已关闭 Closed"])
    for i, r in enumerate(frame.itertuples(), start=4):
        values = [r.complaint_ref, r.marked_on, r.company, r.project,
                  f"{label('business_line', r.business_line, 'zh')} {label('business_line', r.business_line, 'en')}",
                  f"{label('category', r.category, 'zh')} {label('category', r.category, 'en')}", r.tags,
                  r.root_cause, r.lessons, r.actions, r.actions_closed]
        for col, v in enumerate(values, start=1):
            ws.cell(row=i, column=col, value=neutralise(v) if isinstance(v, str) else v)


def monthly_report(month: str, *, session: Session, reach: scope.Reach | None = None) -> bytes:
    """The month's workbook; for a scoped reach (SPEC §11) every figure, the company breakdowns and the
    league cover the scope only (the league's ranks are among all companies, without their names)."""
    flt = overview.limited(month_filter(month), reach)
    year_ago = flt.shifted(years=-1)
    # the year to date, for the KPIs whose targets are annual (ANNUAL): January 1 to the month's end
    to_date = replace(flt, start=date(flt.start.year, 1, 1))
    table = targets.lookup_table(session=session)
    minimum = settings.min_sample(session=session)
    wb = Workbook()
    summary = wb.active
    summary.title = "概览 Summary"
    summary["A1"] = f"总部客户关系月报 HQ customer-relations monthly report — {month}"
    summary["A1"].font = Font(bold=True, size=14)
    summary["A2"] = f"{flt.start.isoformat()} – {flt.end.isoformat()}"
    if reach is not None and not reach.is_group:
        summary["A3"] = "数据范围 Data scope: " + "、".join(sorted(reach.company_names))
    _header(summary, 4, ["领域 Area", "指标 KPI", "本月 This month", "目标 Target", "状态 Status",
                         "去年同月 Same month last year", "同比 Change", "年初至今 Year to date", "对比口径 Compared"])
    results = {area: (areas.compute(area, flt, session=session, by="company"),
                      areas.compute(area, year_ago, session=session)) for area in SHEET_AREAS}
    ytd = areas.compute("listening", to_date, session=session).kpis
    row = 5
    for h in targets.HEADLINES:
        now, last = results[h.area][0].kpis.get(h.kpi), results[h.area][1].kpis.get(h.kpi)
        target = targets.resolve(table, h.kpi)
        annual = h.kpi in ANNUAL
        colour = targets.colour(ytd.get(h.kpi) if annual else now, target)
        diff, diff_format = _change(h.kpi, now, last)
        values = [bilingual(f"area_{h.area}"), bilingual(f"kpi_{h.kpi}"), now,
                  None if target is None else target.target, None if colour is None else " ".join(STATUS[colour]),
                  last, diff, ytd.get(h.kpi) if annual else None, BASIS[annual] if target is not None else None]
        for col, v in enumerate(values, start=1):
            cell = summary.cell(row=row, column=col, value=v)
            if col in (3, 4, 6, 8) and v is not None:
                cell.number_format = _number_format(h.kpi)
            if col == 7 and v is not None:
                cell.number_format = diff_format
        if colour:
            summary.cell(row=row, column=5).fill = PatternFill("solid", fgColor=FILL[colour])
        row += 1
    _league_rows(summary, row + 1, overview.league(month_filter(month), session=session, reach=reach))
    for area in SHEET_AREAS:
        current, last = results[area]
        ws = wb.create_sheet(AREA_SHEET[area])
        ws["A1"] = f"{bilingual('area_' + area)} — {month}"
        ws["A1"].font = Font(bold=True, size=14)
        next_row = _kpi_rows(ws, 3, area, current.kpis, last.kpis, table, ytd if area == "listening" else {})
        header_row = next_row + 2
        ws.cell(row=header_row - 1, column=1, value="按公司 By company").font = Font(bold=True)
        first, last_row = _company_rows(ws, header_row, area, current.groups, minimum)
        _chart(ws, area, header_row, first, last_row, f"I{header_row}")
    _cases_sheet(wb, flt, session, reach)
    for ws in wb.worksheets:
        ws.column_dimensions["A"].width = 34
        for col in range(2, 12):
            ws.column_dimensions[get_column_letter(col)].width = 16
    buf = io.BytesIO()
    neutralise_workbook(wb)
    wb.save(buf)
    return buf.getvalue()
