from .invitation import ReviewerInvitation
from .objection import Objection, Reinstatement
from .plan import BonusAward, BonusRule, Criterion, EvaluationPlan, FinalScore, LetterComments
from .pledge import NoConflictDeclaration, Pledge, PledgeText
from .ranking_version import RankingChange, RankingVersion
from .reminder import ReviewReminder
from .review import Assignment, DeclaredConflict, Panel, Review, Reviewer, ReviewerProgress, Score
from .score_sheet import ScoreSheet, StageScoreSheet
from .selection_run import SelectionResult, SelectionRun
from .slot import ChangeRequest, NoShowConsequence, ScheduleEntry, Slot, StageSchedule
from .stage import AdvancementOutcome, AdvancementResult, AdvancementRule, AdvancementRun, Stage, StageKind

__all__ = [
    "ChangeRequest",
    "NoShowConsequence",
    "ScheduleEntry",
    "Slot",
    "StageSchedule",
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
    "NoConflictDeclaration",
    "Objection",
    "Reinstatement",
    "Panel",
    "Pledge",
    "RankingChange",
    "RankingVersion",
    "PledgeText",
    "Review",
    "ReviewReminder",
    "Reviewer",
    "ReviewerProgress",
    "ReviewerInvitation",
    "Score",
    "ScoreSheet",
    "StageScoreSheet",
    "SelectionResult",
    "SelectionRun",
]
