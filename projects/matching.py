"""Matching funds re-checked on what was actually spent (DESIGN.md §3, "Matching funds with
three shares"): each share of the award's funding plan against the approved spending paid from
it, and the national subsidy to return when the local government's share fell short of the
call's ratio, or the private sector's (cash and in kind) fell short of the call's private match
(won per 100 won of national subsidy). The arithmetic is competitions.matching's; this module reads the figures of one
project (two queries) for the settlement (projects.ledger.settle) and the project pages."""

import dataclasses

from competitions.matching import (
    MatchingRatio,
    matching_return,
    private_covered,
    private_matching_return,
    private_percent_of,
    ratio_of,
)

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
    local_return: int  # national subsidy spent beyond national_covered
    private_return: int  # national subsidy spent beyond what the actual private share matches
    to_return: int  # the larger of the two: a won of subsidy is returned once, whichever share fell short
    private_percent: int | None = None  # the call's private match per 100 won of subsidy (None: none)

    @property
    def private_committed(self):
        return sum(line.committed for line in self.lines if line.share in PRIVATE_SHARES)

    @property
    def private_actual(self):
        return sum(line.actual for line in self.lines if line.share in PRIVATE_SHARES)

    @property
    def private_covered(self):
        """The national subsidy the actual private share matches (None: the call sets no match)."""
        return (
            None
            if self.private_percent is None
            else private_covered(self.private_percent, self.private_actual)
        )

    @property
    def local(self):
        return next(line for line in self.lines if line.share == FundingShare.LOCAL_GOVERNMENT)


PRIVATE_SHARES = (FundingShare.PRIVATE_CASH, FundingShare.PRIVATE_IN_KIND)


def committed_shares(award):
    return {
        FundingShare.NATIONAL: award.national_subsidy,
        FundingShare.LOCAL_GOVERNMENT: award.local_government,
        FundingShare.PRIVATE_CASH: award.private_cash,
        FundingShare.PRIVATE_IN_KIND: award.private_in_kind,
    }


def matching_figures(ratio, committed, actual, paid, private_percent=None):
    """The figures from plain numbers: ``committed`` and ``actual`` map each FundingShare to
    won; ``paid`` is the national subsidy paid (net of reversals). The local share is held to the
    call's national:local ratio; the private share (cash and in kind together) to the call's
    private match (``private_percent`` won per 100 won of national subsidy); the subsidy to return is the larger shortfall's (not their sum: both
    measure the same national subsidy left unmatched)."""
    national_spent = min(actual[FundingShare.NATIONAL], max(0, paid))
    local_actual = actual[FundingShare.LOCAL_GOVERNMENT]
    local_return = matching_return(ratio, national_spent, local_actual)
    private_return = private_matching_return(
        private_percent, national_spent, sum(actual[share] for share in PRIVATE_SHARES)
    )
    return MatchingFigures(
        ratio=ratio,
        lines=tuple(
            ShareLine(share, str(label), committed[share], actual[share])
            for share, label in FundingShare.choices
        ),
        national_spent=national_spent,
        national_covered=None if ratio is None else ratio.national_covered(local_actual),
        local_return=local_return,
        private_return=private_return,
        to_return=max(local_return, private_return),
        private_percent=private_percent or None,
    )


def project_matching(project, paid):
    """The figures of one project (``project.award.application.call`` is read)."""
    award = project.award
    call = award.application.call
    return matching_figures(
        ratio_of(call), committed_shares(award), approved_by_share(project.pk), paid, private_percent_of(call)
    )
