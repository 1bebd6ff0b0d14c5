from .application import (
    Application,
    ApplicationState,
    ConsortiumMember,
    Document,
    ReferenceCounter,
)
from .award import (
    AppendOnlyError,
    Award,
    CountsToward,
    DisbursementEntry,
    Expenditure,
    Phase,
    Project,
    ProjectState,
    Report,
    ReportStatus,
    ReportSubmission,
    Settlement,
)
from .organisation import FiscalYear, Membership, Organisation, OrganisationKind, Sanction
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
    "ReportStatus",
    "ReportSubmission",
    "CountsToward",
    "Settlement",
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
