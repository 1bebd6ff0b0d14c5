"""Staff pages for setting up a call: its eligibility rules, each edited with a form for its kind
(/staff/calls/<slug>/eligibility/), and a new call from this one (/staff/calls/<slug>/copy/).
Thin: the work is in competitions.eligibility_rules and competitions.call_copy."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Role, has_role
from config.krds import KRDSFormMixin

from . import call_copy, eligibility_rules
from .eligibility import RULE_KINDS
from .eligibility_forms import EligibilityRuleForm
from .lifecycle import TransitionRefused
from .models import Call, EligibilityRule
from .refusals import add_to_form, show_refusal


def _staff_call(request, slug):
    if not has_role(request.user, Role.STAFF):
        raise PermissionDenied
    return get_object_or_404(Call, slug=slug)


def _number(raw):
    return int(raw) if (raw or "").isdigit() and len(raw) < 10 else 0


@login_required
def eligibility_rules_page(request, slug):
    call = _staff_call(request, slug)
    rule = None
    if request.GET.get("rule"):
        rule = get_object_or_404(EligibilityRule, pk=_number(request.GET["rule"]), call=call)
    kind = rule.kind if rule else request.GET.get("kind", "")
    if kind and kind not in RULE_KINDS:
        kind = ""
    action = request.POST.get("action") if request.method == "POST" else None
    form = None
    if kind:
        form = EligibilityRuleForm(
            request.POST if action == "save" else None,
            instance=rule or EligibilityRule(),
            call=call,
            kind=kind,
        )
    if action:
        try:
            if action == "delete":
                target = get_object_or_404(EligibilityRule, pk=_number(request.POST.get("pk")), call=call)
                eligibility_rules.delete_rule(target, by=request.user)
                messages.success(request, _("Eligibility rule removed."))
                return redirect("competitions:eligibility_rules", slug=call.slug)
            if action == "save" and form is not None and form.is_valid():
                eligibility_rules.save_rule(form.instance, by=request.user)
                messages.success(request, _("Eligibility rule saved."))
                return redirect("competitions:eligibility_rules", slug=call.slug)
        except TransitionRefused as exc:
            show_refusal(request, exc)
        except ValidationError as exc:
            if form is None:
                show_refusal(request, exc)
            else:
                add_to_form(form, exc)
    rules = list(EligibilityRule.objects.filter(call=call).select_related("track"))
    for item in rules:
        item.label = RULE_KINDS[item.kind].label if item.kind in RULE_KINDS else item.kind
    return render(
        request,
        "competitions/eligibility_rules.html",
        {
            "call": call,
            "rules": rules,
            "kinds": [(k.code, k.label, k.description) for k in RULE_KINDS.values()],
            "kind": RULE_KINDS.get(kind),
            "form": form,
            "editing": rule,
            "frozen": eligibility_rules.frozen_refusal(call),
        },
    )


DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


class CopyCallForm(KRDSFormMixin, forms.Form):
    slug = forms.SlugField(label=gettext_lazy("Slug of the new call"), max_length=50)
    title = forms.CharField(label=gettext_lazy("Title (English)"), max_length=300)
    title_ko = forms.CharField(label=gettext_lazy("Title (Korean)"), max_length=300, required=False)
    opens_at = forms.DateTimeField(
        label=gettext_lazy("Reception opens"),
        help_text=gettext_lazy("Asia/Seoul, e.g. 2026-03-02 09:00."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=DATETIME_FORMATS,
    )
    closes_at = forms.DateTimeField(
        label=gettext_lazy("Reception closes"),
        help_text=gettext_lazy("Asia/Seoul, e.g. 2026-04-10 18:00."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=DATETIME_FORMATS,
    )


@login_required
def copy_call_page(request, slug):
    source = _staff_call(request, slug)
    form = CopyCallForm(
        request.POST or None,
        initial={"title": source.title, "title_ko": source.title_ko},
    )
    if request.method == "POST" and form.is_valid():
        try:
            call = call_copy.copy_call(source, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(
                request,
                _("The draft call “%(title)s” was created from “%(source)s”. Check it, then publish it.")
                % {"title": call.display_title, "source": source.display_title},
            )
            return redirect("evaluation:call_dashboard", slug=call.slug)
    return render(request, "competitions/copy_call.html", {"call": source, "form": form})
