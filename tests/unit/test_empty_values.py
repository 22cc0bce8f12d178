"""Every empty value reads "—" (#23 item 3): pandas hands a missing rate over as NaN, not None."""
from __future__ import annotations

import numpy as np

from lib.i18n import format_number, format_rate


def test_missing_rates_and_numbers_read_as_a_dash():
    assert format_rate(float("nan")) == "—" and format_rate(None) == "—"
    assert format_rate(np.float64("nan")) == "—"
    assert format_number(float("nan")) == "—" and format_number(None) == "—"
    # real values are untouched: 0 is a value, not an empty cell
    assert format_rate(0.0) == "0.0%" and format_rate(0.9615) == "96.2%"
    assert format_number(0) == "0" and format_number(1234.56) == "1,234.6"
