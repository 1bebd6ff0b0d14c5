from .call import Call, CallState, Programme, ServiceField, Track
from .document_kind import IDENTIFYING_DOCUMENT_KINDS, DocumentKind
from .eligibility_rule import EligibilityRule
from .notice_page import (
    CallContact,
    CallDocument,
    CallDocumentKind,
    DeadlineExtension,
    Notice,
    NoticeRevision,
    Question,
)
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
    "CallContact",
    "CallDocument",
    "CallDocumentKind",
    "DeadlineExtension",
    "Notice",
    "NoticeRevision",
    "Question",
    "EligibilityRule",
    "CallState",
    "DocumentKind",
    "IDENTIFYING_DOCUMENT_KINDS",
    "Programme",
    "Region",
    "ServiceField",
    "ServiceType",
    "SizeClass",
    "SmartService",
    "SmartServiceArea",
    "TechnologyField",
    "Track",
]
