"""What a no-show does to a stage's ranking (the stage's schedule says which consequence the
call states): ``eliminate`` takes the application out of the ranking, eliminated with the reason
``no_show``; ``zero`` scores it 0 in the stage (reviews of 0 points, every criterion 0, as many as the
stage's minimum asks: 0 whatever the aggregation) and
the stage's rules decide the rest. Advancement runs and the final selection both read no-shows
here, so the consequence has one definition."""

import hashlib
import json
from dataclasses import replace
from decimal import Decimal

from .models import NoShowConsequence, Slot, StageSchedule

ZERO = Decimal("0")


def no_shows(stage):
    """{application id: the consequence} of the no-shows recorded in ``stage``."""
    ids = list(
        Slot.objects.filter(stage=stage, no_show_at__isnull=False, application__isnull=False).values_list(
            "application_id", flat=True
        )
    )
    if not ids:
        return {}
    consequence = (
        StageSchedule.objects.filter(stage=stage).values_list("no_show_consequence", flat=True).first()
        or NoShowConsequence.ELIMINATE
    )
    return dict.fromkeys(sorted(ids), consequence)


def apply_no_shows(stage, candidates, scoring):
    """(the candidates to rank, the candidates eliminated for not showing up, the hash suffix).
    A zero-scored no-show stays in the ranking with the stage's minimum of reviews of 0 points
    (at least one): scored 0, and never held for too few reviews of a presentation it missed."""
    absent = no_shows(stage)
    if not absent:
        return list(candidates), [], ""
    ranked, eliminated = [], []
    for candidate in candidates:
        consequence = absent.get(candidate.application_id)
        if consequence == NoShowConsequence.ELIMINATE:
            eliminated.append(candidate)
        elif consequence == NoShowConsequence.ZERO:
            needed = {scoring.top_criterion_id, *scoring.thresholds, *candidate.criterion_points} - {None}
            zeros = (ZERO,) * max(1, stage.minimum_reviews)
            points = dict.fromkeys(needed, zeros)
            ranked.append(replace(candidate, reviewer_totals=zeros, criterion_points=points))
        else:
            ranked.append(candidate)
    return ranked, eliminated, json.dumps(sorted(absent.items()), separators=(",", ":"))


def salted(digest, suffix):
    """A run's inputs hash with the no-shows in it (unchanged when there are none)."""
    if not suffix:
        return digest
    return hashlib.sha256(f"{digest}|no_shows:{suffix}".encode("ascii")).hexdigest()
