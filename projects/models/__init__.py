from .application import (
    Application,
    ApplicationState,
    ConsortiumMember,
    Document,
    ReferenceCounter,
)
from .organisation import FiscalYear, Membership, Organisation, OrganisationKind, Sanction
from .outbox import OutboxMessage

__all__ = [
    "Application",
    "ApplicationState",
    "ConsortiumMember",
    "Document",
    "FiscalYear",
    "Membership",
    "Organisation",
    "OrganisationKind",
    "OutboxMessage",
    "ReferenceCounter",
    "Sanction",
]
