from .objection import Objection
from .plan import BonusAward, BonusRule, Criterion, EvaluationPlan, FinalScore, LetterComments
from .reminder import ReviewReminder
from .review import Assignment, DeclaredConflict, Panel, Review, Reviewer, Score
from .score_sheet import ScoreSheet
from .selection_run import SelectionResult, SelectionRun
from .stage import AdvancementOutcome, AdvancementResult, AdvancementRule, AdvancementRun, Stage, StageKind

__all__ = [
    "AdvancementOutcome",
    "AdvancementResult",
    "AdvancementRule",
    "AdvancementRun",
    "Stage",
    "StageKind",
    "Assignment",
    "BonusAward",
    "BonusRule",
    "Criterion",
    "DeclaredConflict",
    "EvaluationPlan",
    "FinalScore",
    "LetterComments",
    "Objection",
    "Panel",
    "Review",
    "ReviewReminder",
    "Reviewer",
    "Score",
    "ScoreSheet",
    "SelectionResult",
    "SelectionRun",
]
