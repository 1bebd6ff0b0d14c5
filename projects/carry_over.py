"""Stage-1 carry-over (issue 16): a lead selected in a call's previous stage (the Challenge's
preliminary stage) starts its application to the next stage from the stage-1 one.

``carry_over`` creates the main-stage draft in one transaction, with what stage 1 said and the
next stage can take: title, summary, track and service field (by name), the test bed (region
and district), smart services, technology fields and service types, the funding plan, the
answers to the questions both calls ask (matched by code and kind, and only when the answer
is still valid under the new question's limits and choices), the proposed indicators (targets
for the years the new call asks), and the consortium members, each proposed again: every
member consents anew (projects.identity.respond_to_consortium), never silently.

What is not carried: files (documents and file answers keep their own records with the stage-1
application; the applicant uploads what the next stage asks), and nothing of stage 1 changes.
The draft names its origin (``Application.carried_from``) and its history says so (logged with
who and when). The applicant edits the draft as any other and submits it before the deadline.
"""

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm_log.models import StateLog

from competitions.lifecycle import TransitionRefused
from competitions.models import Call, QuestionKind
from competitions.questions import clean_answer, form_value, is_blank

from .eligibility_check import SELECTED_STATES
from .indicators import current as current_indicators
from .indicators import settings_for
from .models import (
    Answer,
    Application,
    ApplicationState,
    ConsortiumMember,
    ConsortiumMemberState,
    Indicator,
    IndicatorTarget,
    Organisation,
)
from .outbox import tell
from .workflow import deadline_refusal

FUNDING_FIELDS = ("requested_subsidy", "local_government", "private_cash", "private_in_kind")
MANY_FIELDS = ("smart_services", "technology_fields", "service_types")


@dataclass
class CarriedOver:
    """What one carry-over did, for the applicant's message and the tests."""

    application: Application
    answers: int
    members: int
    indicators: int
    skipped_answers: list  # question codes whose stage-1 answer the new question does not take


def next_stages(call):
    """The calls whose previous stage is ``call`` (usually one)."""
    return Call.objects.filter(previous_stage=call)


def existing_in(call, lead, *, exclude_pk=None):
    """The lead's application in ``call`` that is not withdrawn (None when there is none)."""
    return (
        Application.objects.filter(call=call, lead=lead)
        .exclude(state=ApplicationState.WITHDRAWN)
        .exclude(pk=exclude_pk)
        .order_by("pk")
        .first()
    )


def carry_over_refusal(source, call, now=None):
    """Why ``source`` (a stage-1 application) cannot be carried over to ``call`` now (None when
    it can). The same reasons the action refuses with, for showing or hiding the button."""
    now = now or timezone.now()
    if call.previous_stage_id is None or call.previous_stage_id != source.call_id:
        return _("“%(call)s” is not the next stage of “%(previous)s”.") % {
            "call": call.display_title,
            "previous": source.call.display_title,
        }
    if source.state not in SELECTED_STATES:
        return _(
            "%(organisation)s was not selected in “%(previous)s”; only a lead selected there continues to “%(call)s”."
        ) % {
            "organisation": source.lead.name,
            "previous": source.call.display_title,
            "call": call.display_title,
        }
    other = existing_in(call, source.lead)
    if other is not None:
        return _(
            "%(organisation)s already has an application to “%(call)s” (“%(title)s”, %(state)s); continue that one."
        ) % {
            "organisation": source.lead.name,
            "call": call.display_title,
            "title": other.title,
            "state": other.get_state_display(),
        }
    return deadline_refusal(call, now)


def _same_name(quotas, name):
    by_name = {quota.name: quota for quota in quotas}
    return by_name.get(name)


def _carried_answers(source, call):
    """[(new question, value)] and the codes left out: the stage-1 answers to questions the new
    call asks too (same code and kind, not a file), each checked again by the new question's
    limits and choices."""
    new_questions = {question.code: question for question in call.questions.all()}
    carried, skipped = [], []
    for answer in source.answers.select_related("question").order_by("question__code"):
        old = answer.question
        new = new_questions.get(old.code)
        if new is None or old.kind == QuestionKind.FILE or is_blank(answer.value):
            continue
        if new.kind != old.kind:
            skipped.append(old.code)
            continue
        try:
            value = clean_answer(new, form_value(old, answer.value))
        except ValidationError:
            skipped.append(old.code)
            continue
        if not is_blank(value):
            carried.append((new, value))
    return carried, skipped


def _log(application, *, by, description):
    StateLog.objects.create(
        by=by,
        source_state=application.state,
        state=application.state,
        transition="carry_over",
        content_type=ContentType.objects.get_for_model(Application),
        object_id=application.pk,
        description=description,
    )


def carry_over(source, call, *, by, now=None):
    """Create ``call``'s draft for ``source``'s lead from ``source`` (its previous-stage
    application) and return CarriedOver. Refused (TransitionRefused, nothing created) when the
    lead was not selected in the previous stage, already has an application to ``call``, or
    ``call`` does not receive applications; checked with the call row locked, so that two
    clicks at once give one draft. Only a member of the lead organisation may do it."""
    now = now or timezone.now()
    if not Organisation.objects.filter(pk=source.lead_id, memberships__user=by).exists():
        raise PermissionDenied(_("You may apply only for an organisation you belong to."))
    with transaction.atomic():
        locked_call = Call.objects.select_for_update().get(pk=call.pk)
        source = Application.objects.select_related("call", "lead", "track", "service_field").get(
            pk=source.pk
        )
        refusal = carry_over_refusal(source, locked_call, now)
        if refusal:
            raise TransitionRefused([refusal])
        tracks = list(locked_call.tracks.all())
        track = _same_name(tracks, source.track.name) or (tracks[0] if tracks else None)
        if track is None:
            raise TransitionRefused(
                [_("“%(call)s” has no track to apply to yet.") % {"call": locked_call.display_title}]
            )
        field = None
        if source.service_field_id:
            field = _same_name(locked_call.service_fields.all(), source.service_field.name)
        draft = Application(
            call=locked_call,
            lead=source.lead,
            track=track,
            service_field=field,
            created_by=by,
            carried_from=source,
            title=source.title,
            summary=source.summary,
            test_bed_region_id=source.test_bed_region_id,
            test_bed_district_id=source.test_bed_district_id,
            **{name: getattr(source, name) for name in FUNDING_FIELDS},
        )
        draft.full_clean(exclude=["created_by"])
        draft.save()
        for name in MANY_FIELDS:
            getattr(draft, name).set(getattr(source, name).all())

        carried, skipped = _carried_answers(source, locked_call)
        Answer.objects.bulk_create(
            Answer(application=draft, question=question, value=value, updated_by=by)
            for question, value in carried
        )

        years = settings_for(locked_call).project_years
        indicators = list(current_indicators(source).prefetch_related("targets"))
        for position, old in enumerate(indicators, 1):
            new = Indicator.objects.create(
                application=draft,
                name=old.name,
                name_ko=old.name_ko,
                unit=old.unit,
                baseline=old.baseline,
                position=position,
                updated_by=by,
            )
            IndicatorTarget.objects.bulk_create(
                IndicatorTarget(indicator=new, year=target.year, target=target.target)
                for target in old.targets.all()
                if target.year <= years
            )

        # Every member is proposed again and consents again: a place in stage 1 is no consent
        # to stage 2. Members who declined in stage 1, or whom its lead withdrew, are not asked again.
        members = list(
            source.consortium_members.live()
            .exclude(state=ConsortiumMemberState.DECLINED)
            .select_related("organisation")
        )
        ConsortiumMember.objects.bulk_create(
            ConsortiumMember(
                application=draft,
                organisation=member.organisation,
                budget_share_percent=member.budget_share_percent,
                state=ConsortiumMemberState.PENDING,
                proposed_by=by,
            )
            for member in members
        )
        _log(
            draft,
            by=by,
            description=_("Continued from %(reference)s (“%(call)s”).")
            % {"reference": source.reference or source.title, "call": source.call.display_title},
        )
        for member in members:

            def invitation(member=member):
                subject = _("%(lead)s asks %(organisation)s to join its consortium again for “%(call)s”") % {
                    "lead": source.lead.name,
                    "organisation": member.organisation.name,
                    "call": locked_call.display_title,
                }
                body = _(
                    "Accept or decline on your requests page in Gongmo; until you accept, you are not a member."
                )
                return subject, f"{subject}\n\n{body}"

            tell(member.organisation.members.all(), invitation)
    return CarriedOver(draft, len(carried), len(members), len(indicators), skipped)
