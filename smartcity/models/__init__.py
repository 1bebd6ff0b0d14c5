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
from .living_lab import (  # noqa: F401
    AgeBand,
    Feedback,
    LabManager,
    LabPhase,
    LabService,
    LivingLab,
    Participant,
    QuestionKind,
    SurveyAnswer,
    SurveyQuestion,
)
from .menu import Package, PackageEvent, PackageEventKind, PackageLine, PackageState, UnitCost  # noqa: F401
