"""The lifecycle machine's run counts, printed at the end of the session (the README quotes
them): how many sequences (examples) and steps ran, and how many steps were refused."""

import json
import os
from dataclasses import asdict
from pathlib import Path

from .stats import STATS


def pytest_terminal_summary(terminalreporter):
    if not STATS.sequences:
        return
    terminalreporter.write_line(
        f"stateful lifecycle: {STATS.sequences} sequences, {STATS.steps} steps, {STATS.calls} domain "
        f"calls ({STATS.refused} refused), {STATS.states} states checked, {STATS.workbooks} funding "
        f"workbooks read back, {STATS.year_payments} tranches paid into agreement years "
        f"({STATS.later_year_payments} past an annual-report gate), {STATS.kept_rankings} ranking "
        f"previews compared with a fresh ranking, {STATS.bonuses} bonuses granted, {STATS.beats} "
        "runs of the periodic tasks"
    )
    record = os.environ.get("GONGMO_STATEFUL_RECORD")
    if record:
        Path(record).write_text(json.dumps(asdict(STATS)) + "\n")
