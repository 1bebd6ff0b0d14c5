"""A living lab for tests: opened by staff on a project funded on a living-lab track, testing two
services, with an approved manager when one is given."""

from django.utils import timezone

from competitions.models import CallState
from projects.models import Application, ApplicationState
from smartcity import living_labs
from tests.factories import ApplicationFactory, CallFactory, TrackFactory, signed_project

CONSENT = "리빙랩 참여를 위해 이름, 연락처, 연령대를 수집·이용합니다. 보유 기간: 사업 종료 후 1년."


def open_test_lab(project, staff, manager=None):
    lab = living_labs.open_lab(
        project,
        name="시흥 스마트 주차 리빙랩",
        name_en="Siheung smart parking living lab",
        description="시민이 스마트 주차 서비스를 시험합니다.",
        consent_version="LL-2026-1",
        consent_text=CONSENT,
        services=[
            ("스마트 주차 안내", "Smart parking guidance", None),
            ("공유 주차", "Shared parking", None),
        ],
        by=staff,
    )
    if manager is not None:
        living_labs.approve_manager(lab, manager, by=staff)
    return lab


def join(lab, user, name="홍길동"):
    return living_labs.join(lab, user, name=name, contact="010-1234-5678", age_band="30s", consent_given=True)


def funded_project(staff, *, living_lab=True, **application):
    """A project with its agreement signed, funded on a track of its own call: the citizen-led
    living-lab track (``living_lab``) or an ordinary one."""
    call = CallFactory(state=CallState.PUBLISHED)
    track = TrackFactory(call=call, max_awards=14, living_lab=living_lab)
    draft = ApplicationFactory(call=call, track=track, **application)
    Application.objects.filter(pk=draft.pk).update(
        state=ApplicationState.SELECTED, reference=f"PC26-{draft.pk:04d}", accepted_at=timezone.now()
    )
    return signed_project(Application.objects.get(pk=draft.pk), by=staff)
