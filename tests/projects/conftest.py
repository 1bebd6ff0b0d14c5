from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from competitions.models import CallState
from projects.models import Document
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    OrganisationFactory,
    TrackFactory,
    UserFactory,
    pilot_rules,
)

from .samples import pdf_bytes


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def applicant(role_groups):
    return UserFactory(email="owner@company.example", language="en")  # reads its e-mails in English


@pytest.fixture
def organisation(applicant):
    return OrganisationFactory(owners=[applicant], name="Haeundae Smart Mobility")


@pytest.fixture
def open_call(db):
    now = timezone.now()
    call = CallFactory(
        slug="pilot-open",
        reference_prefix="PC26",
        state=CallState.PUBLISHED,
        opens_at=now - timedelta(days=3),
        closes_at=now + timedelta(days=7),
    )
    TrackFactory(call=call, name="SME-led", max_awards=14)
    pilot_rules(call)
    return call


def attach(application, kind, user, name="proposal.pdf", content=None):
    document = Document(
        application=application,
        kind=kind,
        original_name=name,
        file_format="pdf",
        size=len(content or pdf_bytes()),
        uploaded_by=user,
    )
    document.file.save(name, ContentFile(content or pdf_bytes()), save=False)
    document.save()
    return document


@pytest.fixture
def draft(open_call, organisation, applicant):
    """A draft that passes every pilot rule: SME lead, 300 M of 500 M, proposal and certificate."""
    application = ApplicationFactory(call=open_call, lead=organisation, created_by=applicant)
    attach(application, "proposal", applicant)
    attach(application, "business_registration", applicant, name="certificate.pdf")
    return application


@pytest.fixture
def stranger(role_groups):
    """Member of another organisation: must never see the applicant's data."""
    user = UserFactory(email="stranger@other.example")
    OrganisationFactory(owners=[user], name="Other Company")
    return user
