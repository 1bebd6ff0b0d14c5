from .application import (
    Application,
    ApplicationState,
    ConsortiumMember,
    ConsortiumMemberState,
    Document,
    ReferenceCounter,
)
from .award import (
    AppendOnlyError,
    Award,
    DisbursementEntry,
    Expenditure,
    Phase,
    Project,
    ProjectState,
    Report,
    Settlement,
)
from .invitation import MembershipInvitation
from .organisation import (
    FiscalYear,
    Membership,
    Organisation,
    OrganisationKind,
    RegistrationNumberLocked,
    RegistrationNumberRecord,
    Sanction,
)
from .outbox import OutboxMessage

__all__ = [
    "AppendOnlyError",
    "Award",
    "DisbursementEntry",
    "Expenditure",
    "Phase",
    "Project",
    "ProjectState",
    "Report",
    "Settlement",
    "Application",
    "ApplicationState",
    "ConsortiumMember",
    "ConsortiumMemberState",
    "Document",
    "FiscalYear",
    "Membership",
    "MembershipInvitation",
    "Organisation",
    "OrganisationKind",
    "OutboxMessage",
    "ReferenceCounter",
    "RegistrationNumberLocked",
    "RegistrationNumberRecord",
    "Sanction",
]
