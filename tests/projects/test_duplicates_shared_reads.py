"""The duplicate-funding check as a submission runs it: the consortium and the sanctions come
from what the eligibility snapshot already read (projects.eligibility_check), and the findings
are the same as when the check reads them itself; a new applicant costs two reads."""

from datetime import date

import pytest

from projects import duplicates
from projects.eligibility_check import sanctions_of, with_eligibility_data
from projects.models import Application, FindingKind, Sanction
from tests.factories import OrganisationFactory

from .test_duplicates import UNRELATED, member, submitted

pytestmark = pytest.mark.django_db


def as_at_submission(application):
    """The application as the submission holds it, and the sanctions its snapshot read."""
    held = with_eligibility_data(Application.objects.filter(pk=application.pk)).get()
    return held, sanctions_of([held])


def summary(found):
    return sorted((f.kind, f.key, f.evidence) for f in found)


def test_shared_reads_find_exactly_what_the_check_finds_alone():
    lead, partner, invited = OrganisationFactory(), OrganisationFactory(), OrganisationFactory()
    for organisation, reason in ((lead, "Misused subsidy"), (partner, "Late report"), (invited, "Fraud")):
        Sanction.objects.create(
            organisation=organisation, starts_on=date(2020, 1, 1), ends_on=date(2020, 12, 31), reason=reason
        )
    submitted(lead=partner, summary=UNRELATED, title="Flood")
    submitted(lead=invited, summary=UNRELATED + " Pumps.", title="Pumps")
    application = submitted(lead=lead)
    member(application, partner)
    member(application, invited, state="pending")  # not a party until accepted

    held, sanctions = as_at_submission(application)
    shared = duplicates.find_duplicates(held, sanctions=sanctions)

    assert summary(shared) == summary(duplicates.find_duplicates(application))
    assert sorted(f.kind for f in shared) == [
        FindingKind.PENDING_APPLICATION,
        FindingKind.SANCTION,
        FindingKind.SANCTION,
    ]
    evidence = " ".join(f.evidence for f in shared)
    assert "Misused subsidy" in evidence and "Late report" in evidence and "Fraud" not in evidence


def test_a_new_applicant_costs_two_reads(django_assert_num_queries):
    held, sanctions = as_at_submission(submitted(lead=OrganisationFactory()))
    # The applications its organisations lead or join (only this one), the text candidates.
    with django_assert_num_queries(2):
        assert duplicates.find_duplicates(held, sanctions=sanctions) == []
