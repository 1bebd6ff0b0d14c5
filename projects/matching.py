"""Matching funds re-checked on what was actually spent (DESIGN.md §3, "Matching funds with
three shares"): each share of the award's funding plan against the approved spending paid from
it, and the national subsidy to return when the local government's share fell short of the
call's ratio. The arithmetic is competitions.matching's; this module reads the figures of one
project (two queries) for the settlement (projects.ledger.settle) and the project pages."""

import dataclasses

from competitions.matching import MatchingRatio, matching_return, ratio_of

from .ledger_figures import approved_by_share
from .models import FundingShare


@dataclasses.dataclass(frozen=True)
class ShareLine:
    """One share of the plan: what was committed and what approved spending it actually paid."""

    share: str
    label: str
    committed: int
    actual: int

    @property
    def shortfall(self):
        return max(0, self.committed - self.actual)


@dataclasses.dataclass(frozen=True)
class MatchingFigures:
    ratio: MatchingRatio | None
    lines: tuple[ShareLine, ...]
    national_spent: int  # approved national spending, at most what was paid
    national_covered: int | None  # what the local government's actual share matches (no ratio: None)
    to_return: int  # national subsidy spent beyond national_covered

    @property
    def local(self):
        return next(line for line in self.lines if line.share == FundingShare.LOCAL_GOVERNMENT)


def committed_shares(award):
    return {
        FundingShare.NATIONAL: award.national_subsidy,
        FundingShare.LOCAL_GOVERNMENT: award.local_government,
        FundingShare.PRIVATE_CASH: award.private_cash,
        FundingShare.PRIVATE_IN_KIND: award.private_in_kind,
    }


def matching_figures(ratio, committed, actual, paid):
    """The figures from plain numbers: ``committed`` and ``actual`` map each FundingShare to
    won; ``paid`` is the national subsidy paid (net of reversals)."""
    national_spent = min(actual[FundingShare.NATIONAL], max(0, paid))
    local_actual = actual[FundingShare.LOCAL_GOVERNMENT]
    return MatchingFigures(
        ratio=ratio,
        lines=tuple(
            ShareLine(share, str(label), committed[share], actual[share])
            for share, label in FundingShare.choices
        ),
        national_spent=national_spent,
        national_covered=None if ratio is None else ratio.national_covered(local_actual),
        to_return=matching_return(ratio, national_spent, local_actual),
    )


def project_matching(project, paid):
    """The figures of one project (``project.award.application.call`` is read)."""
    award = project.award
    return matching_figures(
        ratio_of(award.application.call), committed_shares(award), approved_by_share(project.pk), paid
    )
