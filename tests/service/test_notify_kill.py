"""`notify run` killed midway (SIGKILL, while a mail is in flight) and run again: every mail arrives, none twice."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from lib.config import ROOT
from tests.service.test_notify_world import EVE, outbox, smtp, world

__all__ = ["smtp"]


def _run(engine, box, *args) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "CRHQ_SMTP_HOST": "127.0.0.1", "CRHQ_SMTP_PORT": str(box.port), "CRHQ_SMTP_STARTTLS": "0",
           "CRHQ_MAIL_FROM": "crhq@hq.example.com", "CRHQ_NOTIFY_STORM": "1000"}
    return subprocess.Popen([sys.executable, "-m", "lib.cli", "notify", "run", "--now", EVE.isoformat(), *args],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_killed_run_then_rerun_delivers_everything_exactly_once(engine, smtp):
    world(engine)
    smtp.hold_at = 5  # the 5th mail: the server has it and has not answered yet when the run is killed
    proc = _run(engine, smtp)
    assert smtp.holding.wait(120), proc.communicate()[1]
    proc.kill()
    proc.wait()
    smtp.hold_at = None
    smtp.release.set()
    assert len(smtp.accepted) == 4
    states = [r.status for r in outbox(engine, channel="email")]
    # The rest are still claimed by the dead run (the one in flight among them): the rerun takes them over at once,
    # since their claimer's process on this machine is gone.
    assert states.count("sent") == 4 and states.count("sending") == len(states) - 4 > 1
    sent_before = sum(r.status == "sent" for r in outbox(engine))
    again = _run(engine, smtp)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    result = json.loads(out)
    rows = outbox(engine, channel="email")
    assert result["sent"] == len(outbox(engine)) - sent_before and result["failed"] == 0
    assert {r.status for r in outbox(engine)} == {"sent"}
    delivered = [int(i) for _to, m in smtp.parsed() for i in m["X-CRHQ-Outbox"].split(",")]
    assert sorted(delivered) == sorted(r.id for r in rows)  # nothing lost, nothing twice
    by_id = {r.id: r for r in rows}
    for to, m in smtp.parsed():
        row = by_id[int(m["X-CRHQ-Outbox"])]
        assert to == [f"{row.recipient}@example.com"] and m["Subject"] == row.subject
