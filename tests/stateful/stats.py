"""Counts of what the lifecycle machine ran in this session."""

from dataclasses import dataclass


@dataclass
class Stats:
    sequences: int = 0
    steps: int = 0  # rules run by the machine (the initial walk counts as one)
    calls: int = 0  # domain functions called
    refused: int = 0
    states: int = 0  # distinct states the invariants were checked on (a step may change nothing)
    workbooks: int = 0
    year_payments: int = 0  # tranches paid into an agreement year (issue 16)
    later_year_payments: int = 0  # of which into year 2 or later, past the annual-report gate
    kept_rankings: int = 0  # ranking previews compared with a fresh ranking
    bonuses: int = 0  # bonuses granted
    beats: int = 0  # runs of the periodic tasks


STATS = Stats()
