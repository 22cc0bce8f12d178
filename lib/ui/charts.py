"""Charts drawn from cached Vega-Lite specs, the point a user picked, and the cards' deltas."""
from __future__ import annotations

import hashlib

import pandas as pd
import pyarrow as pa
import streamlit as st

from lib import charts


@st.cache_data(max_entries=500, show_spinner=False)
def _chart_spec(builder: str, digest: str, options: tuple, _data: pd.DataFrame) -> dict:
    out = charts.spec(getattr(charts, builder)(_data, **dict(options)))
    # Streamlit sends each named dataset as Arrow IPC bytes and takes bytes found here as they are.
    out["datasets"] = {name: _arrow_bytes(values) for name, values in out.get("datasets", {}).items()}
    return out


def _arrow_bytes(records: list[dict]) -> bytes:
    table = pa.Table.from_pandas(pd.DataFrame.from_records(records), preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def chart(builder, data: pd.DataFrame, *, where=st, key: str | None = None, on_select: str = "ignore",
          **options):
    """Draw `builder(data, **options)` (a `lib.charts` builder) at `where`, full width. The spec is built
    once per data and labels and kept in the data cache, its data already in Arrow: on a rerun the page
    sends it as it is. (Building and validating the Altair objects was most of a warm page's run.)
    The cache is keyed by a digest of the frame's JSON, 0.1 ms where Streamlit's own hashing of a small
    frame took 2.4 ms (the pickled frame was no key: a frame read back from the data cache pickles
    differently from the one first computed, so every first rerun missed). With on_select="rerun" it
    returns the selection, as `st.altair_chart` does."""
    digest = hashlib.blake2b(data.to_json(orient="split", date_format="iso", double_precision=15).encode(),
                             digest_size=16).hexdigest()
    spec = _chart_spec(builder.__name__, digest, tuple(sorted(options.items())), data)
    return where.vega_lite_chart(spec, width="stretch", key=key, on_select=on_select)


def picked(event, field: str):
    """The value of `field` in the point a user clicked on a chart drawn with selection "pick"."""
    selection = (event or {}).get("selection", {}).get("pick") or []
    return selection[0].get(field) if selection else None


def delta(current, previous, decimals: int = 0) -> str | None:
    if current is None or previous is None:
        return None
    return f"{current - previous:+,.{decimals}f}"


def delta_rate(current, previous) -> str | None:
    if current is None or previous is None:
        return None
    return f"{(current - previous) * 100:+.1f} pt"
