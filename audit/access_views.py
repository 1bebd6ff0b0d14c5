"""The access log's page, for auditors: filter by action, person and dates; 50 entries a page,
in a constant number of queries whatever the page holds."""

from datetime import datetime, time, timedelta

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy

from accounts.identities import REVIEWER, pseudonyms, sees_reviewers, shown_as
from accounts.roles import Role, has_role
from competitions.formatting import SEOUL
from config.krds import KRDSFormMixin

from .access import describe_role_change
from .models import AccessEvent

PAGE_SIZE = 50
# Entries whose detail is a change of groups or permissions, described in a line.
ROLE_ACTIONS = (AccessEvent.Action.ROLES_CHANGED, AccessEvent.Action.GROUP_CHANGED)


def may_read_access_log(user):
    return user.is_active and has_role(user, Role.AUDITOR)


class AccessLogFilter(KRDSFormMixin, forms.Form):
    action = forms.ChoiceField(
        label=gettext_lazy("What"),
        required=False,
        choices=[("", gettext_lazy("Everything"))] + AccessEvent.Action.choices,
    )
    who = forms.CharField(
        label=gettext_lazy("Who"),
        required=False,
        max_length=254,
        help_text=gettext_lazy("An e-mail address, or a reviewer's code."),
    )
    since = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(gettext_lazy("The first date is after the last."))
        return data


def filtered(events, data, viewer):
    if data.get("action"):
        events = events.filter(action=data["action"])
    who = (data.get("who") or "").strip()
    if who:
        by_code = Q(actor__reviewer__code=who) | Q(subject__reviewer__code=who)
        by_address = Q(actor_email__iexact=who) | Q(subject__email__iexact=who)
        if not sees_reviewers(viewer):
            # A reviewer is found by code only: an address must not reveal whose code it is.
            by_address = (Q(actor_email__iexact=who) & Q(actor__reviewer__isnull=True)) | (
                Q(subject__email__iexact=who) & Q(subject__reviewer__isnull=True)
            )
        events = events.filter(by_code | by_address)
    if data.get("since"):
        events = events.filter(at__gte=datetime.combine(data["since"], time.min, tzinfo=SEOUL))
    if data.get("until"):
        events = events.filter(
            at__lt=datetime.combine(data["until"] + timedelta(days=1), time.min, tzinfo=SEOUL)
        )
    return events


def access_log(request):
    if not request.user.is_authenticated:
        return redirect(f"/accounts/login/?next={request.path}")
    if not may_read_access_log(request.user):
        raise PermissionDenied
    form = AccessLogFilter(request.GET or None)
    events = AccessEvent.objects.select_related(f"actor__{REVIEWER}", f"subject__{REVIEWER}")
    if form.is_bound and form.is_valid():
        events = filtered(events, form.cleaned_data, request.user)
    elif form.is_bound:
        events = events.none()
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    people = {event.actor_id for event in page} | {event.subject_id for event in page}
    codes = pseudonyms(people) if not sees_reviewers(request.user) else None
    rows = [
        (
            event,
            shown_as(event.actor, request.user, codes) if event.actor is not None else event.actor_email,
            shown_as(event.subject, request.user, codes),
            describe_role_change(event.detail) if event.action in ROLE_ACTIONS else "",
        )
        for event in page
    ]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/access_log.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query_prefix": (query.urlencode() + "&") if query else "",
            "retention_days": settings.ACCESS_LOG_RETENTION_DAYS,
        },
    )
