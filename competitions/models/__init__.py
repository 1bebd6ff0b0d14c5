from .call import Call, CallState, Programme, ServiceField, Track
from .document_kind import IDENTIFYING_DOCUMENT_KINDS, DocumentKind
from .eligibility_rule import EligibilityRule
from .results_notice import ResultsListing, ResultsNotice, ResultsNoticeEntry
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
