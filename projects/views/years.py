"""The agreement's years, budget categories, transfers and changes on the project pages (staff:
projects.views.money.project_detail; the lead's members: my_project). Thin: every change goes
through projects.years, projects.budget or projects.agreement_changes."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from competitions.lifecycle import TransitionRefused
from competitions.models import BudgetCategory
from config.krds import KRDSFormMixin

from .. import agreement_changes, budget, identity, parties, years
from ..ledger_figures import budget_figures
from ..models import AgreementChange, BudgetTransfer, ProjectYear, RequestState

MAX_WON = 10**15


def _won(label, required=True):
    return forms.IntegerField(label=label, min_value=0, max_value=MAX_WON, required=required)


def _date(label, required=True):
    return forms.DateField(label=label, required=required, widget=forms.DateInput())


class PlanMixin:
    """One amount field per budget category of the call (``plan_<id>``)."""

    def add_plan_fields(self, categories):
        self.categories = list(categories)
        for category in self.categories:
            self.fields[f"plan_{category.pk}"] = _won(
                _("%(category)s (KRW)") % {"category": category.display_name}, required=False
            )

    def plan(self):
        return {category: self.cleaned_data.get(f"plan_{category.pk}") or 0 for category in self.categories}


class YearForm(PlanMixin, KRDSFormMixin, forms.Form):
    starts_on = _date(gettext_lazy("From"))
    ends_on = _date(gettext_lazy("Until"))
    national_subsidy = _won(gettext_lazy("National subsidy this year (KRW)"))
    total_cost = _won(gettext_lazy("Total cost this year, every share (KRW)"))

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.add_plan_fields(categories)


class TransferForm(KRDSFormMixin, forms.Form):
    year = forms.ModelChoiceField(
        label=gettext_lazy("Year"), queryset=ProjectYear.objects.none(), empty_label=None
    )
    from_category = forms.ModelChoiceField(
        label=gettext_lazy("From"), queryset=BudgetCategory.objects.none(), empty_label=None
    )
    to_category = forms.ModelChoiceField(
        label=gettext_lazy("To"), queryset=BudgetCategory.objects.none(), empty_label=None
    )
    amount = _won(gettext_lazy("Amount (KRW)"))
    reason = forms.CharField(label=gettext_lazy("Why"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, project, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].queryset = ProjectYear.objects.filter(project=project)
        ids = [category.pk for category in categories]
        self.fields["from_category"].queryset = BudgetCategory.objects.filter(pk__in=ids)
        self.fields["to_category"].queryset = BudgetCategory.objects.filter(pk__in=ids)


class ChangeForm(PlanMixin, KRDSFormMixin, forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What changes"), choices=AgreementChange.Kind.choices)
    year = forms.ModelChoiceField(
        label=gettext_lazy("Year"), queryset=ProjectYear.objects.none(), required=False
    )
    national_subsidy = _won(gettext_lazy("The year's new subsidy (KRW)"), required=False)
    ends_on = _date(gettext_lazy("The demonstration's new end"), required=False)
    members = forms.CharField(
        label=gettext_lazy("The members besides the lead"),
        help_text=gettext_lazy(
            "One line per member: registration number; role; share of the work and budget (%). "
            "List every member that stays; the lead keeps the rest. A new member is asked to consent."
        ),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reason = forms.CharField(label=gettext_lazy("Why"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, project, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].queryset = ProjectYear.objects.filter(project=project)
        self.add_plan_fields(categories)

    def clean_members(self):
        """[(organisation, role, share)] from the lines; None when the field was left empty."""
        text = self.cleaned_data.get("members", "").strip()
        if not text:
            return None
        members = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split(";")]
            if len(parts) != 3:
                raise forms.ValidationError(
                    _("Line %(line)s: write registration number; role; share.") % {"line": number}
                )
            organisation = identity.number_holder(parts[0])
            if organisation is None:
                raise forms.ValidationError(
                    _("Line %(line)s: no organisation is registered under %(number)s.")
                    % {"line": number, "number": parts[0]}
                )
            members.append((organisation, parts[1], parts[2].rstrip("%").strip()))
        return members


def _cleaned(form):
    if not form.is_valid():
        raise TransitionRefused(
            [
                f"{form.fields[name].label}: {' '.join(errors)}" if name in form.fields else " ".join(errors)
                for name, errors in form.errors.items()
            ]
        )
    return form.cleaned_data


def _request_transfer(request, project):
    form = TransferForm(request.POST, project=project, categories=years.categories_of(project))
    data = _cleaned(form)
    transfer = budget.request_transfer(
        data["year"],
        by=request.user,
        from_category=data["from_category"],
        to_category=data["to_category"],
        amount=data["amount"],
        reason=data["reason"],
    )
    if transfer.state == RequestState.APPROVED:
        return _("The money was moved (within the call's threshold).")
    return _("The transfer goes beyond the call's threshold: it waits for staff approval.")


def _request_change(request, project):
    form = ChangeForm(request.POST, project=project, categories=years.categories_of(project))
    data = _cleaned(form)
    agreement_changes.request_change(
        project,
        by=request.user,
        kind=data["kind"],
        reason=data["reason"],
        year=data["year"],
        national_subsidy=data["national_subsidy"],
        plan=form.plan(),
        ends_on=data["ends_on"],
        members=data["members"] if data["kind"] == AgreementChange.Kind.MEMBERS else None,
    )
    return _("Change requested: staff will decide.")


# What the lead's members post on their project page (action name -> handler).
applicant_year_actions = {"transfer": _request_transfer, "change": _request_change}


def agreement_context(project, *, kept=None):
    """What the years section of a project page shows (a fixed number of queries)."""
    categories = years.categories_of(project)
    kept = kept or {}
    action = kept.get("action")
    return {
        "budget": budget_figures([project.pk])[project.pk],
        "categories": categories,
        "transfers": BudgetTransfer.objects.filter(year__project=project)
        .select_related("year", "from_category", "to_category", "requested_by", "decided_by")
        .order_by("pk"),
        "agreement_changes": parties.describe_changes(
            project.agreement_changes.select_related("year", "requested_by", "decided_by").order_by("pk")
        ),
        "agreement_parties": parties.parties_of(project),
        # Each form its own ids (the same names post): they share a page with the payment or
        # spending form, whose "amount" and "year" would otherwise clash with theirs.
        "year_form": YearForm(
            kept if action == "add_year" else None, categories=categories, auto_id="year_%s"
        ),
        "transfer_form": TransferForm(
            kept if action == "transfer" else None,
            project=project,
            categories=categories,
            auto_id="transfer_%s",
        ),
        "change_form": ChangeForm(
            kept if action == "change" else None, project=project, categories=categories, auto_id="change_%s"
        ),
    }
