from .budget import BudgetCategory
from .call import Call, CallState, Programme, ServiceField, Track
from .document_kind import IDENTIFYING_DOCUMENT_KINDS, DocumentKind
from .eligibility_rule import EligibilityRule
from .import_job import ImportJob
from .notice_page import (
    CallContact,
    CallDocument,
    CallDocumentKind,
    DeadlineExtension,
    Inquiry,
    Notice,
    NoticeRevision,
)
from .question import Question, QuestionKind, QuestionSection
from .results_notice import ResultsListing, ResultsNotice, ResultsNoticeEntry
from .taxonomy import (
    District,
    DistrictLevel,
    GovernmentLevel,
    Region,
    ServiceType,
    SizeClass,
    SmartService,
    SmartServiceArea,
    TechnologyField,
)

__all__ = [
    "BudgetCategory",
    "Call",
    "CallContact",
    "CallDocument",
    "CallDocumentKind",
    "DeadlineExtension",
    "District",
    "DistrictLevel",
    "GovernmentLevel",
    "Notice",
    "NoticeRevision",
    "Inquiry",
    "EligibilityRule",
    "ImportJob",
    "CallState",
    "DocumentKind",
    "IDENTIFYING_DOCUMENT_KINDS",
    "Programme",
    "Question",
    "QuestionKind",
    "QuestionSection",
    "Region",
    "ResultsListing",
    "ResultsNotice",
    "ResultsNoticeEntry",
    "ServiceField",
    "ServiceType",
    "SizeClass",
    "SmartService",
    "SmartServiceArea",
    "TechnologyField",
    "Track",
]
