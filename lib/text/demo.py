"""Demo data for text signals: the term store filled for the demo's complaints and supervisor issues."""
from __future__ import annotations

import random
from datetime import date

from sqlalchemy.orm import Session

from lib.text import index


def seed_demo(*, session: Session, rng: random.Random, today: date) -> None:
    """The demo's records are written in bulk (not through the services), so index them here."""
    del rng, today  # segmentation is deterministic: nothing random to draw
    index.reindex(session=session, missing_only=True)
