"""Committee pages: staff keep the reviewer pool (invite by e-mail, import a spreadsheet, send
an invitation again) and build each call's panels; an invited person sets their password
through the link in the invitation. Thin: evaluation.committee, pool_import, panels, pledges."""

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from competitions.lifecycle import TransitionRefused
from competitions.models import Call, TechnologyField
from competitions.refusals import show_refusal
from config.krds import KRDSFormMixin
from projects.models import Organisation
from projects.registration_number import normalise_registration_number
from projects.views.staff import staff_only

from . import committee, panels, pledges, pool_import
from .models import Panel, Reviewer, ReviewerInvitation, Stage


class InviteForm(KRDSFormMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=150)
    email = forms.EmailField(label=gettext_lazy("E-mail address"))
    affiliation = forms.CharField(
        label=gettext_lazy("Affiliation: business registration number"),
        required=False,
        help_text=gettext_lazy(
            "The organisation the reviewer works for, if it is registered (e.g. 123-45-67890)."
        ),
    )
    expertise = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Expertise"),
        queryset=TechnologyField.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean_affiliation(self):
        raw = self.cleaned_data["affiliation"].strip()
        if not raw:
            return None
        organisation = Organisation.objects.filter(
            registration_number=normalise_registration_number(raw)
        ).first()
        if organisation is None:
            raise forms.ValidationError(
                _("There is no organisation with the business registration number %(value)s.")
                % {"value": raw}
            )
        return organisation


class PasswordForm(KRDSFormMixin, SetPasswordForm):
    """The new password, twice, checked by the configured validators."""


class ImportForm(KRDSFormMixin, forms.Form):
    spreadsheet = forms.FileField(
        label=gettext_lazy("Spreadsheet (xlsx)"),
        help_text=gettext_lazy(
            "Columns: name, email, affiliation (registration number), expertise (field codes)."
        ),
    )


def _site(request):
    return request.build_absolute_uri("/")


def _pool_page(request, invite_form=None, import_form=None):
    expertise = None
    code = request.GET.get("expertise", "")
    if code.isdigit():
        expertise = TechnologyField.objects.filter(code=int(code)).first()
    reviewers = Reviewer.objects.select_related("user", "affiliation").prefetch_related(
        "expertise", "invitations"
    )
    if expertise is not None:
        reviewers = reviewers.filter(expertise=expertise)
    return render(
        request,
        "evaluation/committee/pool.html",
        {
            "reviewers": reviewers.order_by("code"),
            "fields": TechnologyField.objects.all(),
            "expertise": expertise,
            "invite_form": invite_form or InviteForm(),
            "import_form": import_form or ImportForm(),
            "invitations": ReviewerInvitation.objects.select_related(
                "reviewer", "invited_by", "last_sent_by"
            )[:50],
            "valid_for_days": committee.INVITATION_VALID_FOR.days,
        },
    )


@staff_only
def reviewer_pool(request):
    """The pool: every reviewer with their expertise and invitation; invite one person."""
    if request.method != "POST":
        return _pool_page(request)
    form = InviteForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        invitee = committee.Invitee(data["name"], data["email"], data["affiliation"], list(data["expertise"]))
        try:
            invitation = committee.invite_reviewer(invitee, by=request.user, site=_site(request))
        except TransitionRefused as exc:
            show_refusal(request, exc)
        else:
            messages.success(
                request,
                _("%(email)s joined the pool as %(code)s; the invitation e-mail is on its way.")
                % {"email": invitation.email, "code": invitation.reviewer.code},
            )
            return redirect("evaluation:reviewer_pool")
    return _pool_page(request, invite_form=form)


@staff_only
@require_POST
def reviewer_import(request):
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            invited = pool_import.import_pool(
                form.cleaned_data["spreadsheet"], by=request.user, site=_site(request)
            )
        except TransitionRefused as exc:
            show_refusal(request, exc)
        else:
            messages.success(request, _("%(count)d reviewer(s) invited.") % {"count": len(invited)})
            return redirect("evaluation:reviewer_pool")
    return _pool_page(request, import_form=form)


@staff_only
@require_POST
def invitation_resend(request, pk):
    invitation = get_object_or_404(ReviewerInvitation, pk=pk)
    try:
        committee.resend_invitation(invitation, by=request.user, site=_site(request))
    except TransitionRefused as exc:
        show_refusal(request, exc)
    else:
        messages.success(request, _("Invitation sent again to %(email)s.") % {"email": invitation.email})
    return redirect("evaluation:reviewer_pool")


def invitation_accept(request, token):
    """The link in the invitation: choose a password, then land on one's reviews."""
    try:
        invitation = committee.invitation_for(token)
    except TransitionRefused as exc:
        return render(request, "evaluation/committee/invitation.html", {"refusals": exc.reasons}, status=410)
    user = invitation.reviewer.user
    if request.user.is_authenticated and request.user.pk != user.pk:
        refusal = _("This invitation is for someone else. Log out first, then open the link again.")
        return render(request, "evaluation/committee/invitation.html", {"refusals": [refusal]}, status=403)
    form = PasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = committee.accept_invitation(
                token, password=form.cleaned_data["new_password1"], viewer=request.user
            )
        except TransitionRefused as exc:
            show_refusal(request, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome. Your password is set; these are your reviews."))
            return redirect("evaluation:my_reviews")
    return render(request, "evaluation/committee/invitation.html", {"form": form, "invitation": invitation})


@staff_only
def call_panels(request, slug):
    """A call's panels: create one, add reviewers from the pool (filtered by expertise, each
    with their conflicts with the call's applicants), remove them; who signed the pledge."""
    call = get_object_or_404(Call, slug=slug)
    if request.method == "POST":
        try:
            message = _panel_action(request, call)
        except TransitionRefused as exc:
            show_refusal(request, exc)
        else:
            messages.success(request, message)
        query = request.GET.urlencode()
        return redirect(request.path + (f"?{query}" if query else ""))
    code = request.GET.get("expertise", "")
    expertise = TechnologyField.objects.filter(code=int(code)).first() if code.isdigit() else None
    return render(
        request,
        "evaluation/committee/panels.html",
        {
            "call": call,
            "panels": Panel.objects.filter(call=call)
            .select_related("track", "service_field", "stage")
            .prefetch_related("reviewers__user"),
            "pool": panels.pool_for(call, expertise=expertise),
            "fields": TechnologyField.objects.all(),
            "expertise": expertise,
            "tracks": call.tracks.all(),
            "service_fields": call.service_fields.all(),
            "stages": Stage.objects.filter(plan__call=call).order_by("position"),
            "pledges": pledges.signed_pledges(call),
        },
    )


def _panel_action(request, call):
    action = request.POST.get("action")
    if action == "create":
        track = call.tracks.filter(pk=_int(request.POST.get("track"))).first()
        field = call.service_fields.filter(pk=_int(request.POST.get("service_field"))).first()
        stage = Stage.objects.filter(plan__call=call, pk=_int(request.POST.get("stage"))).first()
        panel = panels.create_panel(
            call,
            by=request.user,
            name=request.POST.get("name", ""),
            track=track,
            service_field=field,
            stage=stage,
        )
        return _("Panel %(name)s created.") % {"name": panel.name}
    panel = Panel.objects.filter(call=call, pk=_int(request.POST.get("panel"))).first()
    if panel is None:
        raise TransitionRefused([_("Choose one of this call's panels.")])
    if action == "add":
        chosen = list(Reviewer.objects.filter(pk__in=[_int(pk) for pk in request.POST.getlist("reviewers")]))
        if not chosen:
            raise TransitionRefused([_("Tick the reviewers to add.")])
        added = panels.add_reviewers(panel, chosen, by=request.user)
        return _("%(count)d reviewer(s) added to %(panel)s.") % {"count": added, "panel": panel.name}
    if action == "remove":
        reviewer = get_object_or_404(Reviewer, pk=_int(request.POST.get("reviewer")))
        panels.remove_reviewer(panel, reviewer, by=request.user)
        return _("%(code)s removed from %(panel)s.") % {"code": reviewer.code, "panel": panel.name}
    raise TransitionRefused([_("Unknown action.")])


def _int(value):
    return int(value) if value and str(value).isdigit() and len(str(value)) < 10 else None
