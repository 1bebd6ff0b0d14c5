"""Publishing the results on the call's public page (결과 공고).

Once a selection run is confirmed (the applicants told through the workflow and their letters),
staff publish the results to the public as a separate, explicit action. ``publish_public_results``
copies what the call's listing policy allows into a ``ResultsNotice`` (competitions/models/
results_notice.py): the applications holding a place in each service field, by title and
organisation, by title only, or only their number; never a score or a rank. The notice is logged
on the call (who, when, which policy, why). Publishing again (after a decline promoted a reserve,
or to change the policy) writes a new notice; the page shows the latest and the others stay.
"""

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm_log.models import StateLog

from accounts.roles import Role, has_role
from competitions.lifecycle import TransitionRefused
from competitions.models import Call, ResultsListing, ResultsNotice, ResultsNoticeEntry
from projects.models import Application
from projects.models.application import RESULTS_PUBLISHED_CALL_STATES

from .invariants import check_outcomes
from .selection_runs import latest_confirmed_run


def publication_blockers(call):
    """Why the results cannot be published on the call's page now (empty when they can)."""
    if call.state not in RESULTS_PUBLISHED_CALL_STATES:
        return [_("Confirm a selection run first: the applicants are told their results before the public.")]
    if latest_confirmed_run(call) is None:
        return [_("No confirmed selection run: there are no results to publish.")]
    return []


def selected_for_notice(call):
    """The applications holding a place, in the order the notice lists them: by service field,
    then by reference number (not by rank, which would tell how they scored)."""
    return (
        Application.objects.filter(call=call)
        .holding_place()
        .select_related("lead", "service_field")
        .order_by("service_field__position", "service_field_id", "reference", "pk")
    )


def publish_public_results(call, *, by, listing, note=""):
    """Publish the results on the call's page in the ``listing`` policy (which becomes the
    call's), as ``by``; returns the new notice. Raises PermissionDenied or TransitionRefused, and
    then changes nothing."""
    if not has_role(by, Role.STAFF):
        raise PermissionDenied(_("Only ministry staff publish results."))
    if listing not in ResultsListing.values:
        raise TransitionRefused([_("Choose what the call's page lists.")])
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call.pk)
        blockers = publication_blockers(call)
        if blockers:
            raise TransitionRefused(blockers)
        # Never announce outcomes that break the call's quotas or budget (DESIGN.md invariants).
        check_outcomes(call)
        number = (call.results_notices.aggregate(last=Max("number"))["last"] or 0) + 1
        notice = ResultsNotice.objects.create(
            call=call,
            number=number,
            listing=listing,
            note=note.strip(),
            published_at=timezone.now(),
            published_by=by,
        )
        shows_titles = listing != ResultsListing.COUNTS
        shows_organisations = listing == ResultsListing.TITLES_AND_ORGANISATIONS
        ResultsNoticeEntry.objects.bulk_create(
            ResultsNoticeEntry(
                notice=notice,
                service_field_id=application.service_field_id,
                position=position,
                title=application.title if shows_titles else "",
                organisation=application.lead.name if shows_organisations else "",
            )
            for position, application in enumerate(selected_for_notice(call), start=1)
        )
        if call.results_listing != listing:
            call.results_listing = listing
            call.save(update_fields=["results_listing", "updated_at"])
        description = _("Results published on the call's page (notice #%(number)d: %(listing)s).") % {
            "number": number,
            "listing": ResultsListing(listing).label,
        }
        if notice.note:
            description += " " + notice.note
        StateLog.objects.create(
            by=by,
            source_state=call.state,
            state=call.state,
            transition="publish_public_results",
            content_type=ContentType.objects.get_for_model(Call),
            object_id=call.pk,
            description=description,
        )
    return notice
