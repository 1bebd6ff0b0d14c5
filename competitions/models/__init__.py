from .call import Call, CallState, Programme, ServiceField, Track
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
