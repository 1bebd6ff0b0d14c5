"""Projects and their money, for staff (and auditors, read-only) and for applicants.
Every change goes through projects.ledger."""

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from accounts.roles import Role, has_role
from competitions.formatting import format_krw
from competitions.lifecycle import TransitionRefused
from competitions.models import Call
from competitions.refusals import show_refusal
from config.krds import KRDSFormMixin

from .. import agreement_changes, budget, indicators, ledger, reports, years
from ..documents import safe_filename, validate_document
from ..ledger_figures import with_money
from ..matching import project_matching
from ..models import (
    AgreementChange,
    Application,
    BudgetTransfer,
    DisbursementEntry,
    Expenditure,
    FundingShare,
    Project,
    ProjectState,
    Report,
    SettlementLine,
)
from ..spending import OPEN_STATES
from .years import YearForm, agreement_context, applicant_year_actions

PAGE_SIZE = 50


def staff_or_auditor(view):
    """Reading is for staff and auditors; every POST is for staff only."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={request.path}")
        allowed = has_role(request.user, Role.STAFF) or (
            request.method in ("GET", "HEAD") and has_role(request.user, Role.AUDITOR)
        )
        if not allowed:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


class BulkTrancheForm(KRDSFormMixin, forms.Form):
    tranche = forms.IntegerField(label=gettext_lazy("Tranche"), min_value=1, max_value=ledger.MAX_TRANCHE)
    paid_on = forms.DateField(label=gettext_lazy("Payment date"), widget=forms.DateInput())
    percent = forms.IntegerField(label=gettext_lazy("Share of each award (%)"), min_value=1, max_value=100)
    year = forms.IntegerField(
        label=gettext_lazy("Agreement year"),
        min_value=1,
        max_value=100,
        required=False,
        help_text=gettext_lazy("For a project with agreement years."),
    )
    reference = forms.CharField(label=pgettext_lazy("payment", "Reference"), required=False)


@staff_or_auditor
def project_list(request):
    projects = with_money(
        Project.objects.select_related("award__application__call", "award__application__lead")
    )
    call = request.GET.get("call", "")
    state = request.GET.get("state", "")
    if call:
        projects = projects.filter(award__application__call__slug=call)
    if state in ProjectState.values:
        projects = projects.filter(state=state)
    if request.GET.get("halted") == "1":
        projects = projects.filter(payments_halted=True)
    page = Paginator(projects.order_by("code"), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "projects/money/project_list.html",
        {
            "page": page,
            "calls": Call.objects.public().only("slug", "title", "title_ko"),
            "states": ProjectState.choices,
            "filters": {"call": call, "state": state, "halted": request.GET.get("halted", "")},
            "query_prefix": (query.urlencode() + "&") if query else "",
            "bulk_form": BulkTrancheForm(),
            "can_write": has_role(request.user, Role.STAFF),
        },
    )


@staff_or_auditor
@require_POST
def bulk_tranche(request):
    form = BulkTrancheForm(request.POST)
    ids = [
        int(pk) for pk in request.POST.getlist("projects") if pk.isascii() and pk.isdigit() and len(pk) < 19
    ]
    if not form.is_valid() or not ids:
        messages.error(request, _("Choose projects and fill in the tranche, date and share."))
        return redirect("projects:project_list")
    data = form.cleaned_data
    items = [
        (
            project,
            project.award.national_subsidy * data["percent"] // 100,
            data["paid_on"],
            data["reference"],
            data["tranche"],
        )
        for project in Project.objects.filter(pk__in=ids).select_related("award")
    ]
    posted, refused = ledger.post_payments(items, by=request.user, year=data["year"])
    if posted:
        messages.success(request, _("%(count)d payment(s) posted.") % {"count": len(posted)})
    for project, reasons in refused:
        messages.error(request, f"{project.code}: {' '.join(reasons)}")
    return redirect("projects:project_list")


# The largest amount a form takes: far above any budget, well inside the database's integers.
MAX_WON = 10**15


def _won_field(label, **options):
    return forms.IntegerField(
        label=label, min_value=options.pop("min_value", 1), max_value=MAX_WON, **options
    )


class PaymentForm(KRDSFormMixin, forms.Form):
    amount = _won_field(gettext_lazy("Amount (KRW)"))
    paid_on = forms.DateField(label=gettext_lazy("Payment date"), widget=forms.DateInput())
    tranche = forms.IntegerField(
        label=gettext_lazy("Tranche"), min_value=1, max_value=ledger.MAX_TRANCHE, required=False
    )
    year = forms.IntegerField(
        label=gettext_lazy("Agreement year"),
        min_value=1,
        max_value=100,
        required=False,
        help_text=gettext_lazy("For a project with agreement years."),
    )
    reference = forms.CharField(label=pgettext_lazy("payment", "Reference"), required=False, max_length=100)


class RecoveryForm(forms.Form):
    amount = _won_field(gettext_lazy("Recovery received (KRW)"))
    received_on = forms.DateField(label=gettext_lazy("Received on"), required=False)
    reference = forms.CharField(label=pgettext_lazy("payment", "Reference"), required=False, max_length=100)


class SettlementForm(forms.Form):
    interest = _won_field(gettext_lazy("Interest earned (KRW)"), min_value=0, required=False)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"), choices=[("approve", "approve"), ("reject", "reject")]
    )
    approved_amount = _won_field(gettext_lazy("Approved amount"), min_value=0, required=False)

    def clean(self):
        data = super().clean()
        if data.get("decision") == "approve" and data.get("approved_amount") is None and not self.errors:
            self.add_error("approved_amount", _("Enter the amount approved in whole won."))
        return data


class ReportReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"), choices=[("accept", "accept"), ("return", "return")]
    )
    comments = forms.CharField(label=gettext_lazy("Comments"), required=False)


def _cleaned(form):
    """The form's data, or a refusal naming each field's problem (nothing changes)."""
    if not form.is_valid():
        raise TransitionRefused(
            [
                f"{form.fields[name].label}: {' '.join(errors)}" if name in form.fields else " ".join(errors)
                for name, errors in form.errors.items()
            ]
        )
    return form.cleaned_data


ACTIONS = {}


def action(name):
    def register(function):
        ACTIONS[name] = function
        return function

    return register


def _reason(request):
    return request.POST.get("reason", "")


def _posted(model, request, name, project, **of_project):
    """The ``model`` row of this project named by the posted id ``name``; 404 for anything else
    (another project's row, a missing one, or an id that is not a number). ``of_project``: how
    the row names its project when not by a ``project`` field."""
    raw = request.POST.get(name, "")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        raise Http404
    return get_object_or_404(model, pk=int(raw), **(of_project or {"project": project}))


@action("pay")
def _pay(request, project):
    data = _cleaned(PaymentForm(request.POST))
    ledger.post_payment(
        project,
        by=request.user,
        amount=data["amount"],
        paid_on=data["paid_on"],
        reference=data["reference"],
        tranche=data["tranche"],
        year=data["year"],
    )
    return _("Payment posted.")


@action("reverse")
def _reverse(request, project):
    entry = _posted(DisbursementEntry, request, "entry", project)
    ledger.reverse_entry(entry, by=request.user, reason=_reason(request))
    return _("Reversal posted.")


@action("halt")
def _halt(request, project):
    ledger.set_payments_halted(project, by=request.user, halted=True, reason=_reason(request))
    return _("Payments halted.")


@action("resume")
def _resume(request, project):
    ledger.set_payments_halted(project, by=request.user, halted=False)
    return _("Payments resumed.")


@action("recover")
def _recover(request, project):
    form = RecoveryForm(request.POST)
    if not form.is_valid() and "amount" in form.errors:
        raise TransitionRefused([_("Enter the amount recovered in whole won.")])
    data = _cleaned(form)
    ledger.post_recovery(
        project,
        by=request.user,
        amount=data["amount"],
        received_on=data["received_on"] or timezone.localdate(),
        reference=data["reference"],
    )
    return _("Recovery posted.")


@action("decide")
def _decide(request, project):
    expenditure = _posted(Expenditure, request, "expenditure", project)
    data = _cleaned(DecisionForm(request.POST))
    approved = None if data["decision"] == "reject" else data["approved_amount"]
    ledger.decide_expenditure(expenditure, by=request.user, approved_amount=approved, reason=_reason(request))
    return _("Expenditure decided.")


@action("settle")
def _settle(request, project):
    form = SettlementForm(request.POST)
    if not form.is_valid():
        raise TransitionRefused([_("Enter the interest earned in whole won.")])
    interest = form.cleaned_data["interest"] or 0
    settlement = ledger.settle(project, by=request.user, interest_earned=interest)
    return _("Settled: %(amount)s to recover.") % {"amount": format_krw(settlement.to_recover)}


@action("close")
def _close(request, project):
    ledger.close_project(project, by=request.user)
    return _("Project closed.")


@action("review_report")
def _review_report(request, project):
    report = _posted(Report, request, "report", project)
    data = _cleaned(ReportReviewForm(request.POST))
    reports.review_report(
        report, by=request.user, accept=data["decision"] == "accept", comments=data["comments"]
    )
    return _("Report accepted.") if data["decision"] == "accept" else _("Report returned for changes.")


@action("add_year")
def _add_year(request, project):
    form = YearForm(request.POST, categories=years.categories_of(project))
    data = _cleaned(form)
    years.add_year(
        project,
        by=request.user,
        starts_on=data["starts_on"],
        ends_on=data["ends_on"],
        national_subsidy=data["national_subsidy"],
        total_cost=data["total_cost"],
        plan=form.plan(),
    )
    return _("Year added.")


def _decision(request):
    decision = request.POST.get("decision")
    if decision not in ("approve", "decline"):
        raise TransitionRefused([_("Choose to approve or decline.")])
    return decision == "approve"


@action("decide_transfer")
def _decide_transfer(request, project):
    transfer = _posted(BudgetTransfer, request, "transfer", None, year__project=project)
    budget.decide_transfer(transfer, by=request.user, approve=_decision(request), reason=_reason(request))
    return _("Budget transfer decided.")


@action("decide_change")
def _decide_change(request, project):
    change = _posted(AgreementChange, request, "change", project)
    agreement_changes.decide_change(
        change, by=request.user, approve=_decision(request), reason=_reason(request)
    )
    return _("Change to the agreement decided.")


@staff_or_auditor
def project_detail(request, pk):
    project = get_object_or_404(
        with_money(Project.objects.select_related("award__application__call", "award__application__lead")),
        pk=pk,
    )
    payment_form, kept = PaymentForm(), {}
    if request.method == "POST":
        handler = ACTIONS.get(request.POST.get("action"))
        if handler is None:
            raise Http404
        try:
            messages.success(request, handler(request, project))
        except (TransitionRefused, PermissionDenied) as exc:
            # Forms that forgive: the page comes back with what was typed in the refused form.
            show_refusal(request, exc)
            kept = request.POST
            if kept.get("action") == "pay":
                payment_form = PaymentForm(request.POST)
        else:
            return redirect("projects:project_detail", pk=pk)
    return render(
        request,
        "projects/money/project_detail.html",
        {
            "project": project,
            "kept": kept,
            "entries": project.disbursements.select_related("posted_by", "reverses").order_by("pk"),
            "expenditures": project.expenditures.select_related("reported_by").order_by("spent_on", "pk"),
            "settlements": project.settlements.order_by("-pk").prefetch_related(
                Prefetch("lines", queryset=SettlementLine.objects.select_related("year", "category"))
            ),
            "matching": project_matching(project, project.paid),
            "reports": project.reports.select_related("phase"),
            "indicator_table": indicators.project_table(project),
            "payment_form": payment_form,
            "can_write": has_role(request.user, Role.STAFF),
            "reversed_ids": set(
                project.disbursements.exclude(reverses=None).values_list("reverses_id", flat=True)
            ),
            **agreement_context(project, kept=kept),
        },
    )


class AwardForm(KRDSFormMixin, forms.Form):
    national_subsidy = forms.IntegerField(label=gettext_lazy("National subsidy awarded (KRW)"), min_value=0)
    reason = forms.CharField(label=gettext_lazy("Why lower than the request (if it is)"), required=False)
    signed_on = forms.DateField(label=gettext_lazy("Agreement signed on"), widget=forms.DateInput())
    # The lead, the accepted members and the local government become AgreementParty records
    # from the application (projects.parties); staff name only who signs for the money.
    parties = forms.CharField(
        label=gettext_lazy("Signing for the funders"),
        help_text=gettext_lazy(
            "The ministry and the agency that sign for the subsidy. The lead, the consortium members "
            "and the local government are recorded from the application."
        ),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    starts_on = forms.DateField(label=gettext_lazy("Demonstration starts"), widget=forms.DateInput())
    ends_on = forms.DateField(label=gettext_lazy("Demonstration ends"), widget=forms.DateInput())


@staff_or_auditor
def award(request, pk):
    """Staff turn a selected application into an award and sign its agreement."""
    application = get_object_or_404(Application.objects.select_related("call", "lead"), pk=pk)
    form = AwardForm(request.POST or None, initial={"national_subsidy": application.requested_subsidy})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                new_award = ledger.create_award(
                    application,
                    by=request.user,
                    national_subsidy=data["national_subsidy"],
                    reason=data["reason"],
                )
                project = ledger.sign_agreement(
                    new_award,
                    by=request.user,
                    signed_on=data["signed_on"],
                    parties=data["parties"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                )
        except (TransitionRefused, PermissionDenied) as exc:
            show_refusal(request, exc)
        else:
            messages.success(request, _("Project %(code)s created.") % {"code": project.code})
            return redirect("projects:project_detail", pk=project.pk)
    return render(request, "projects/money/award.html", {"application": application, "form": form})


@login_required
def report_download(request, pk):
    """A report's latest document (``?submission=<id>``: an earlier one), for the lead's members,
    staff and auditors; files live outside the web root."""
    report = get_object_or_404(Report.objects.select_related("project__award__application__lead"), pk=pk)
    allowed = has_role(request.user, Role.STAFF) or has_role(request.user, Role.AUDITOR)
    if not (allowed or request.user.has_perm("projects.view_application", report.project.award.application)):
        raise Http404
    raw = request.GET.get("submission", "")
    if raw:
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
            raise Http404
        document = get_object_or_404(report.submissions, pk=int(raw))
    else:
        document = report
    if not document.document:
        raise Http404
    try:
        handle = document.document.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=document.original_name)


# --- Applicants -------------------------------------------------------------------------------


class ExpenditureForm(KRDSFormMixin, forms.ModelForm):
    """Spending with its evidence: against the call's budget categories when the project has a
    budget plan, else the fixed categories."""

    class Meta:
        model = Expenditure
        fields = ["spent_on", "category", "budget_category", "share", "amount", "description", "evidence"]
        widgets = {
            "spent_on": forms.DateInput(),
            "description": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        if categories:
            del self.fields["category"]
            field = self.fields["budget_category"]
            field.queryset = field.queryset.filter(pk__in=[category.pk for category in categories])
            field.required = True
            field.empty_label = None
        else:
            del self.fields["budget_category"]
            self.fields["category"].required = True
        self.fields["share"].required = False  # spending is paid from the national subsidy unless said

    def clean_share(self):
        return self.cleaned_data.get("share") or FundingShare.NATIONAL


@login_required
def my_project(request, pk):
    project = get_object_or_404(with_money(Project.objects.select_related("award__application__call")), pk=pk)
    if not request.user.has_perm("projects.view_application", project.award.application):
        raise Http404
    can_report = request.user.has_perm("projects.change_application", project.award.application)
    planned = project.years.filter(budget_lines__isnull=False).exists()
    form = ExpenditureForm(
        request.POST or None,
        request.FILES or None,
        categories=years.categories_of(project) if planned else (),
    )
    kept = {}
    if request.method == "POST" and request.POST.get("action") in applicant_year_actions:
        if not can_report:
            raise Http404
        try:
            messages.success(request, applicant_year_actions[request.POST["action"]](request, project))
        except (TransitionRefused, PermissionDenied) as exc:
            show_refusal(request, exc)
            kept = request.POST
            form = ExpenditureForm(categories=years.categories_of(project) if planned else ())
        else:
            return redirect("projects:my_project", pk=pk)
    elif request.method == "POST" and request.POST.get("report"):
        if not can_report:
            raise Http404
        report = _posted(Report, request, "report", project)
        upload = request.FILES.get("document")
        try:
            if upload is None:
                raise TransitionRefused([_("Choose the report's file.")])
            reports.submit_report(report, by=request.user, upload=upload)
        except (ValidationError, TransitionRefused) as exc:
            show_refusal(request, exc)
        else:
            messages.success(request, _("Report submitted."))
        return redirect("projects:my_project", pk=pk)
    elif request.method == "POST":
        if not can_report:
            raise Http404
        if form.is_valid():
            evidence = form.cleaned_data["evidence"]
            try:
                validate_document(evidence, evidence.name, size=evidence.size)
                evidence.name = safe_filename(evidence.name)
                ledger.report_expenditure(
                    project,
                    by=request.user,
                    spent_on=form.cleaned_data["spent_on"],
                    category=form.cleaned_data.get("category", ""),
                    budget_category=form.cleaned_data.get("budget_category"),
                    amount=form.cleaned_data["amount"],
                    evidence=evidence,
                    description=form.cleaned_data["description"],
                    share=form.cleaned_data["share"],
                )
            except (ValidationError, TransitionRefused) as exc:
                show_refusal(request, exc)
            else:
                messages.success(request, _("Expenditure reported."))
                return redirect("projects:my_project", pk=pk)
    project_reports = list(project.reports.select_related("phase"))
    for report in project_reports:
        report.project = project
        report.open = indicators.reportable(report)  # takes a submission and results
    return render(
        request,
        "projects/money/my_project.html",
        {
            "project": project,
            "entries": project.disbursements.order_by("pk"),
            "expenditures": project.expenditures.order_by("spent_on", "pk"),
            "reports": project_reports,
            "indicator_table": indicators.project_table(project),
            "matching": project_matching(project, project.paid),
            "form": form,
            "can_report": can_report and project.state == ProjectState.ACTIVE,
            "can_change_spending": can_report and project.state in OPEN_STATES,
            "can_request_changes": can_report and project.state == ProjectState.ACTIVE,
            "can_submit_reports": can_report,
            **agreement_context(project, kept=kept),
        },
    )
