"""Register rows as a user reads them: an empty vocabulary cell is "—", never "nan"."""
from __future__ import annotations

import pandas as pd

from lib import ui


def test_a_missing_severity_reads_as_a_dash_not_nan():
    # pandas turns None into NaN in an object column once the frame comes back from SQL with floats around it
    frame = pd.DataFrame({"ref": ["A1", "A2"], "severity": ["urgent", float("nan")], "channel": ["hotline", None]})
    shown = ui.present_complaints(frame, "staff")
    severity = [c for c in shown.columns if c not in (ui.tr("col_ref"), ui.tr("col_channel"))][0]
    assert list(shown[severity]) == ["紧急", "—"]
    assert list(shown[ui.tr("col_channel")]) == ["热线", "—"]
