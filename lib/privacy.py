"""Personal data shown to executives is masked (SPEC §8): 张**, 138****5678."""
from __future__ import annotations

import pandas as pd

NAME_COLUMNS = ("complainant_name", "name", "supervisor_name")
PHONE_COLUMNS = ("complainant_phone", "phone", "contact_phone")
SEES_PERSONAL_DATA = frozenset({"staff", "admin"})


def _missing(value) -> bool:
    # pandas gives NaN (a float) for a missing text cell: masked as "*an" it looked like data
    return value is None or (isinstance(value, float) and value != value) or not str(value).strip()


def mask_name(value: str | None) -> str | None:
    if _missing(value):
        return None
    value = str(value).strip()
    return value[:1] + "*" * max(1, len(value) - 1)


def mask_phone(value: str | None) -> str | None:
    if _missing(value):
        return None
    digits = str(value).strip()
    if len(digits) >= 8:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * (len(digits) - 2) + digits[-2:]


def mask_field(field: str, value):
    """One value as a viewer without the right sees it: masked if `field` holds a name or a phone."""
    if field in NAME_COLUMNS:
        return mask_name(value)
    if field in PHONE_COLUMNS:
        return mask_phone(value)
    return value


def for_role(frame: pd.DataFrame, role: str | None) -> pd.DataFrame:
    """The frame as `role` may see it: names and phones masked unless the role may see them."""
    if role in SEES_PERSONAL_DATA:
        return frame
    return masked(frame)


def masked(frame: pd.DataFrame) -> pd.DataFrame:
    """Names and phones masked whoever looks (lists; a reveal is one record at a time)."""
    masked = frame.copy()
    for column in NAME_COLUMNS:
        if column in masked:
            masked[column] = masked[column].map(mask_name)
    for column in PHONE_COLUMNS:
        if column in masked:
            masked[column] = masked[column].map(mask_phone)
    return masked


def record_for_role(record: dict, role: str | None) -> dict:
    if role in SEES_PERSONAL_DATA:
        return record
    masked = dict(record)
    for column in NAME_COLUMNS:
        if column in masked:
            masked[column] = mask_name(masked[column])
    for column in PHONE_COLUMNS:
        if column in masked:
            masked[column] = mask_phone(masked[column])
    return masked
