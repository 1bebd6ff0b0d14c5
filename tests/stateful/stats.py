"""Counts of what the lifecycle machine ran in this session."""

from dataclasses import dataclass


@dataclass
class Stats:
    sequences: int = 0
    steps: int = 0  # rules run by the machine (the initial walk counts as one)
    calls: int = 0  # domain functions called
    refused: int = 0
    workbooks: int = 0


STATS = Stats()
