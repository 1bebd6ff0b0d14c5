from .invitation import ReviewerInvitation
from .objection import Objection
from .plan import BonusAward, BonusRule, Criterion, EvaluationPlan
from .pledge import NoConflictDeclaration, Pledge, PledgeText
from .reminder import ReviewReminder
from .review import Assignment, DeclaredConflict, Panel, Review, Reviewer, Score
from .score_sheet import ScoreSheet
from .selection_run import SelectionResult, SelectionRun

__all__ = [
    "Assignment",
    "BonusAward",
    "BonusRule",
    "Criterion",
    "DeclaredConflict",
    "EvaluationPlan",
    "NoConflictDeclaration",
    "Objection",
    "Panel",
    "Pledge",
    "PledgeText",
    "Review",
    "ReviewReminder",
    "Reviewer",
    "ReviewerInvitation",
    "Score",
    "ScoreSheet",
    "SelectionResult",
    "SelectionRun",
]
