"""The smart-city schemes' models, one module per scheme."""

from .certification import (  # noqa: F401
    Assessment,
    AssessmentScore,
    Certificate,
    CertificateCounter,
    CertificateState,
    CertificationApplication,
    CertificationApplicationState,
    CertificationIndex,
    CertificationKind,
    CertificationRound,
    CertifiedService,
    IndexCategory,
    IndexItem,
    PilotProjectLink,
)
from .living_lab import AgeBand, Feedback, LabManager, LabPhase, LabService, LivingLab, Participant  # noqa: F401
from .menu import Package, PackageEvent, PackageEventKind, PackageLine, PackageState, UnitCost  # noqa: F401
