from .call import Call, CallState, Programme, ServiceField, Track
from .document_kind import IDENTIFYING_DOCUMENT_KINDS, DocumentKind
from .eligibility_rule import EligibilityRule
from .question import Question, QuestionKind, QuestionSection
from .taxonomy import (
    Region,
    ServiceType,
    SizeClass,
    SmartService,
    SmartServiceArea,
    TechnologyField,
)

__all__ = [
    "Call",
    "EligibilityRule",
    "CallState",
    "DocumentKind",
    "IDENTIFYING_DOCUMENT_KINDS",
    "Programme",
    "Question",
    "QuestionKind",
    "QuestionSection",
    "Region",
    "ServiceField",
    "ServiceType",
    "SizeClass",
    "SmartService",
    "SmartServiceArea",
    "TechnologyField",
    "Track",
]
