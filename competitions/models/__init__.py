from .call import Call, CallState, Programme, ServiceField, Track
from .eligibility_rule import EligibilityRule
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
