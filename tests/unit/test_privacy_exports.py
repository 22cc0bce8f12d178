"""Masking for executives and spreadsheet-safe exports."""
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from lib import exports, privacy
from lib.errors import DomainError


@pytest.mark.parametrize(("name", "masked"), [("张三丰", "张**"), ("李四", "李*"), ("王", "王*"), (None, None)])
def test_mask_name(name, masked):
    assert privacy.mask_name(name) == masked


@pytest.mark.parametrize(("phone", "masked"), [("13812345678", "138****5678"), ("0755-1234567", "075*****4567"),
                                               ("12345", "***45")])
def test_mask_phone(phone, masked):
    assert privacy.mask_phone(phone) == masked


def test_frames_are_masked_for_executives_only():
    frame = pd.DataFrame({"complainant_name": ["张三"], "complainant_phone": ["13812345678"], "ref": ["T1"]})
    assert privacy.for_role(frame, "executive").iloc[0].tolist() == ["张*", "138****5678", "T1"]
    assert privacy.for_role(frame, "staff").iloc[0].tolist() == ["张三", "13812345678", "T1"]


def test_formulas_are_neutralised_in_csv_and_excel():
    frame = pd.DataFrame({"description": ["=HYPERLINK(\"http://x\")", "+1", "普通文本", "-5"], "n": [1, 2, 3, 4]})
    text = exports.to_bytes(frame, "csv").decode("utf-8-sig")
    # "-5" as text is a formula to a spreadsheet (minus five): neutralised like "=" and "+"
    assert text.splitlines() == ["description,n", "\"'=HYPERLINK(\"\"http://x\"\")\",1", "'+1,2", "普通文本,3", "'-5,4"]
    sheet = load_workbook(io.BytesIO(exports.to_bytes(frame, "xlsx"))).active
    assert sheet["A2"].value == "'=HYPERLINK(\"http://x\")" and sheet["A2"].data_type == "s"
    assert [c.value for c in sheet["A"]] == ["description", "'=HYPERLINK(\"http://x\")", "'+1", "普通文本", "'-5"]
    assert sheet["A5"].data_type == "s"
    assert sheet["B2"].value == 1  # numbers stay numbers


def test_row_export_is_refused_to_executives():
    with pytest.raises(DomainError):
        exports.rows_for_download(pd.DataFrame({"a": [1]}), fmt="csv", role="executive")


def test_full_width_and_space_led_formulas_are_neutralised_in_cells_and_headers():
    from lib import exports

    frame = pd.DataFrame({"＝1+1": ["＋2", "  =3", "\u3000@x", "－4", "fine"]})
    text = exports.to_bytes(frame, "csv").decode("utf-8-sig").splitlines()
    assert text == ["'＝1+1", "'＋2", "'  =3", "'\u3000@x", "'－4", "fine"]
    sheet = load_workbook(io.BytesIO(exports.to_bytes(frame, "xlsx"))).active
    assert [c.value for c in sheet["A"]] == ["'＝1+1", "'＋2", "'  =3", "'\u3000@x", "'－4", "fine"]
