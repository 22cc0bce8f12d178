"""UI strings of the text signals (SPEC §15): the Topics page, word lists, category suggestion."""
from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "txt_nav": ("客户之声", "Voice of the customer"),
    "txt_title": ("客户之声：投诉与监督员问题的高频词", "Voice of the customer: what complaints and supervisors say"),
    "txt_source": ("文本来源", "Text of"),
    "txt_source_complaint": ("投诉内容", "Complaint descriptions"),
    "txt_source_supervisor_issue": ("监督员反馈问题", "Supervisor issues"),
    "txt_unit": ("统计单位", "Count"),
    "txt_unit_words": ("词语", "Words"),
    "txt_unit_phrases": ("短语（相邻两词）", "Phrases (adjacent word pairs)"),
    "txt_records": ("本期共 {n} 条有内容的记录", "{n} records in the period"),
    "txt_no_terms": ("所选范围内没有可统计的文本。", "No text to count for this selection."),
    "txt_top_title": ("高频词", "Top terms"),
    "txt_top_caption": ("记录数：内容中出现该词的记录条数；占比：记录数 ÷ 本期记录总数。点选表格中的一行，查看包含该词的记录。",
                        "Records: how many records mention the term; share: records ÷ all records of the period. "
                        "Select a row to see the records that contain it."),
    "txt_col_term": ("词语", "Term"),
    "txt_col_count": ("记录数", "Records"),
    "txt_col_share": ("占比", "Share"),
    "txt_col_previous": ("上期记录数", "Previous period"),
    "txt_col_previous_share": ("上期占比", "Previous share"),
    "txt_col_z": ("z 值", "z"),
    "txt_col_p": ("p 值", "p-value"),
    "txt_trend_title": ("月度趋势", "Monthly trend"),
    "txt_trend_terms": ("趋势中的词语", "Terms in the trend"),
    "txt_trend_share": ("占当月记录比例", "Share of the month's records"),
    "txt_rising_title": ("显著上升的词", "Significantly rising terms"),
    "txt_rising_caption": ("与上一等长期间（{start} 至 {end}）相比：单侧两比例 z 检验，本期至少 {min} 条记录，"
                           "并按 Benjamini–Hochberg 控制 5% 错误发现率。",
                           "Against the previous period of the same length ({start} to {end}): one-sided "
                           "two-proportion z-test, at least {min} records now, Benjamini–Hochberg at a 5% "
                           "false-discovery rate."),
    "txt_no_rising": ("没有显著上升的词。", "No term rose significantly."),
    "txt_pick_term": ("查看包含该词的记录", "Show the records that contain"),
    "txt_pick_placeholder": ("选择一个词语", "Choose a term"),
    "txt_drill_caption": ("包含“{term}”的记录：{n} 条（最新在前，最多 500 条；内容中的电话与姓名已遮蔽）",
                          "Records containing “{term}”: {n} (newest first, at most 500; phones and names in "
                          "the text masked)"),
    "txt_col_raised_on": ("提出日期", "Raised on"),
    # word lists (admins, on this page)
    "txt_lists_title": ("分词词表（管理员）", "Word lists (admin)"),
    "txt_lists_explain": ("用户词典让领域词保持完整（如“空鼓”“物业费”），每行一个词，可在空格后写词频；停用词不参与统计。"
                          "保存后新记录按新词表分词；已有记录需重建索引（此处按钮，或命令 python -m lib.cli text reindex）。",
                          "The user dictionary keeps domain words whole (空鼓, 物业费), one a line, optionally "
                          "followed by a frequency; stop words are never counted. New records use the lists "
                          "once saved; existing records need a re-index (the button here, or python -m lib.cli "
                          "text reindex)."),
    "txt_userdict": ("用户词典", "User dictionary"),
    "txt_stopwords": ("停用词", "Stop words"),
    "txt_lists_shipped": ("当前使用随附词表", "Using the shipped lists"),
    "txt_lists_custom": ("当前使用管理员修改的词表", "Using the lists an admin edited"),
    "txt_lists_save": ("保存词表", "Save word lists"),
    "txt_lists_reset": ("恢复随附词表", "Back to the shipped lists"),
    "txt_lists_saved": ("词表已保存。", "Word lists saved."),
    "txt_reindex": ("重建文本索引", "Re-index all text"),
    "txt_reindexed": ("已重建索引：投诉 {complaints} 条，监督员问题 {issues} 条。",
                      "Re-indexed {complaints} complaints and {issues} supervisor issues."),
    "txt_err_entry": ("“{entry}”不是有效词条：每行一个词（最多 40 个字符，不含空格），词频须为正整数。",
                      "“{entry}” is not a valid entry: one word a line (at most 40 characters, no spaces), "
                      "with an optional positive whole-number frequency."),
    "txt_err_too_many": ("词表最多 {max} 行。", "A word list has at most {max} lines."),
    # category suggestion (register)
    "txt_suggested": ("按内容建议的类别：{category}（可能性 {p}）", "Suggested category from the text: {category} ({p})"),
    "txt_apply_suggestion": ("采用建议类别", "Use the suggested category"),
    "txt_suggestion_applied": ("类别已改为“{category}”。", "Category changed to {category}."),
    "aud_act_text_reindex": ("重建文本索引", "Text re-indexed"),
}
