"""Matching funds as a call sets them (DESIGN.md §3, "Matching funds with three shares"): the
required ratio of the local government's share to the national subsidy, in integer won.

A call with a ratio national:local (the Smart City Challenge: 50:50) requires the local
government to put in at least ``local / national`` won for every won of national subsidy. The
comparison is exact (cross-multiplication, no division); amounts derived from it round to the
won against the project: the local share required rounds up, the national subsidy a local
contribution covers rounds down. Pure arithmetic, no ORM: the call's setting is read by
``ratio_of``; eligibility, the award and the settlement (projects.matching) all use this."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from competitions.formatting import format_krw


@dataclass(frozen=True)
class MatchingRatio:
    """national:local, both positive whole numbers (50:50, 60:40, ...)."""

    national: int
    local: int

    def __post_init__(self):
        if self.national <= 0 or self.local <= 0:
            raise ValueError("Both parts of a matching ratio are positive.")

    def __str__(self):
        return f"{self.national}:{self.local}"

    def holds(self, national_amount, local_amount):
        """Whether ``local_amount`` matches ``national_amount`` at this ratio (exactly)."""
        return local_amount * self.national >= national_amount * self.local

    def required_local(self, national_amount):
        """The least local share (whole won, rounded up) that matches ``national_amount``."""
        return -(-national_amount * self.local // self.national)

    def national_covered(self, local_amount):
        """The most national subsidy (whole won, rounded down) ``local_amount`` matches."""
        return local_amount * self.national // self.local


def ratio_of(call):
    """The call's national:local ratio, or None when the call sets none."""
    if call.matching_national_ratio and call.matching_local_ratio:
        return MatchingRatio(call.matching_national_ratio, call.matching_local_ratio)
    return None


def local_matching_problem(ratio, national_amount, local_amount):
    """Why a plan's local share does not match its national subsidy (None when it does)."""
    if ratio is None or ratio.holds(national_amount, local_amount):
        return None
    return _(
        "The local government's share of %(local)s does not match the national subsidy of "
        "%(national)s at the call's national:local ratio of %(ratio)s: at least %(required)s is "
        "required."
    ) % {
        "local": format_krw(local_amount),
        "national": format_krw(national_amount),
        "ratio": str(ratio),
        "required": format_krw(ratio.required_local(national_amount)),
    }


def local_matching_reason(ratio, national_amount, local_amount):
    """What the rule says of a plan that keeps it (for the eligibility self-check)."""
    return _(
        "The local government's share of %(local)s matches the national subsidy of %(national)s "
        "at the call's national:local ratio of %(ratio)s (at least %(required)s)."
    ) % {
        "local": format_krw(local_amount),
        "national": format_krw(national_amount),
        "ratio": str(ratio),
        "required": format_krw(ratio.required_local(national_amount)),
    }


def matching_return(ratio, national_spent, local_spent):
    """At settlement: the national subsidy spent beyond what the local government's actual
    (approved) contribution matches, to be returned (0 without a ratio)."""
    if ratio is None:
        return 0
    return max(0, national_spent - ratio.national_covered(local_spent))


def private_percent_of(call):
    """The call's private match (won per 100 won of national subsidy), or None when it sets none."""
    return call.matching_private_percent or None


def private_covered(percent, private_amount):
    """The most national subsidy (whole won, rounded down) ``private_amount`` matches."""
    return private_amount * 100 // percent


def private_matching_return(percent, national_spent, private_spent):
    """At settlement: the national subsidy spent beyond what the private sector's actual
    (approved, cash and in kind) contribution matches at the call's private match, to be
    returned (0 when the call sets none)."""
    if not percent:
        return 0
    return max(0, national_spent - private_covered(percent, private_spent))
