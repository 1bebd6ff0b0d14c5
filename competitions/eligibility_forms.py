"""The form for one eligibility rule of a call: a field for each parameter of its kind (choices
from the reference data and the call's own questions, numbers with their bounds) instead of
JSON. What the fields give is checked again by validate_params (EligibilityRule.clean), which
refuses any unknown code whatever path the parameters took."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from config.krds import KRDSFormMixin, style_widgets

from .eligibility import (
    ANSWER_CONDITIONS,
    DOCUMENT_KIND_LABELS,
    GOVERNMENT_LEVEL_LABELS,
    KIND_LABELS,
    RULE_KINDS,
    SIZE_CLASS_LABELS,
)
from .models import EligibilityRule, Question, SizeClass
from .models.question import CHOICE_KINDS


def _size_class_labels():
    """The size classes the rules know, named as the reference data names them."""
    names = {size.code: size.display_name for size in SizeClass.objects.filter(code__in=SIZE_CLASS_LABELS)}
    return {code: names.get(code, label) for code, label in SIZE_CLASS_LABELS.items()}


def _checkboxes(label, options, help_text=""):
    return forms.MultipleChoiceField(
        label=label,
        choices=list(options.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=help_text,
    )


def _percent(label, help_text=""):
    return forms.DecimalField(
        label=label, min_value=Decimal(0), max_value=Decimal(100), decimal_places=2, help_text=help_text
    )


# (kind, parameter) -> what the parameter is, for the fields below.
PARAMETER_FIELDS = {
    ("allowed_applicants", "kinds"): ("codes", _("Kinds of lead organisation"), "kinds"),
    ("allowed_applicants", "size_classes"): ("codes", _("Size classes of the lead"), "size_classes"),
    ("large_company_share", "max_percent"): (
        "percent",
        _("Largest budget share of a large member (%)"),
        None,
    ),
    ("matching_funds", "government_share_max"): (
        "percent_by_size",
        _("Largest government share of the total cost (%)"),
        None,
    ),
    ("matching_funds", "cash_min_of_private"): (
        "percent_by_size",
        _("Smallest cash share of the private contribution (%)"),
        None,
    ),
    ("national_share", "max_percent"): ("percent", _("Largest national share of the total cost (%)"), None),
    ("consortium_includes", "kinds"): ("codes", _("Kinds of member"), "kinds"),
    ("consortium_includes", "min_count"): ("count", _("At least this many members"), None),
    ("max_concurrent_projects", "max_projects"): (
        "count",
        _("At most this many running projects per organisation, this one included"),
        None,
    ),
    ("required_documents", "kinds"): ("codes", _("Documents that must be attached"), "documents"),
    ("lead_government_level", "levels"): ("codes", _("Tiers of local government accepted"), "levels"),
    ("question_answer", "question"): ("question", _("Question"), None),
    ("question_answer", "condition"): ("condition", _("The answer"), None),
    ("question_answer", "choices"): ("answer_choices", _("Choices that pass"), None),
    ("question_answer", "number"): ("number", _("Number the answer is compared with"), None),
}
NO_ANY = _("None ticked: any.")


class EligibilityRuleForm(KRDSFormMixin, forms.ModelForm):
    """The track (this call's only) and position, then one field per parameter of ``kind``."""

    class Meta:
        model = EligibilityRule
        fields = ["track", "position"]

    def __init__(self, *args, call, kind, **kwargs):
        super().__init__(*args, **kwargs)
        self.call, self.kind = call, kind
        self.instance.call, self.instance.kind = call, kind
        self.fields["track"].queryset = call.tracks.all()
        self.fields["position"].required = False
        self.questions = list(Question.objects.filter(call=call))
        stored = dict(RULE_KINDS[kind].default_params)
        stored.update(self.instance.params or {})
        self.parameter_names = []
        for name in RULE_KINDS[kind].default_params:
            self._add_parameter(name, stored.get(name))
        style_widgets(self.fields.values())

    # --- The fields ---------------------------------------------------------------------------
    def _codes(self, what):
        if what == "kinds":
            return KIND_LABELS
        if what == "size_classes":
            return _size_class_labels()
        if what == "documents":
            return DOCUMENT_KIND_LABELS
        return GOVERNMENT_LEVEL_LABELS

    def _add_parameter(self, name, value):
        what, label, codes = PARAMETER_FIELDS.get((self.kind, name), ("unknown", name, None))
        if what == "codes":
            field = _checkboxes(
                label, self._codes(codes), NO_ANY if codes in ("kinds", "size_classes") else ""
            )
            self.initial.setdefault(name, list(value or []))
        elif what == "percent":
            field = _percent(label)
            self.initial.setdefault(name, value)
        elif what == "percent_by_size":
            for code, size_label in _size_class_labels().items():
                if code not in ("sme", "mid", "large"):
                    continue
                key = f"{name}__{code}"
                self.fields[key] = _percent(f"{label}: {size_label}")
                self.fields[key].required = False
                self.initial.setdefault(key, (value or {}).get(code))
                self.parameter_names.append(key)
            return
        elif what == "count":
            field = forms.IntegerField(label=label, min_value=1, max_value=100)
            self.initial.setdefault(name, value)
        elif what == "question":
            field = forms.ChoiceField(
                label=label,
                choices=[("", "---------")]
                + [(q.code, f"{q.code} · {q.display_label}") for q in self.questions],
            )
            self.initial.setdefault(name, value)
        elif what == "condition":
            field = forms.ChoiceField(label=label, choices=list(ANSWER_CONDITIONS.items()))
            self.initial.setdefault(name, value)
        elif what == "answer_choices":
            options = {
                f"{q.code}:{code}": f"{q.display_label}: {choice}"
                for q in self.questions
                if q.kind in CHOICE_KINDS
                for code, choice in q.choice_labels().items()
            }
            field = _checkboxes(
                label, options, _("For “is one of the listed choices”: the chosen question's choices.")
            )
            question = self.instance.params.get("question", "") if self.instance.params else ""
            self.initial.setdefault(name, [f"{question}:{code}" for code in value or []])
        elif what == "number":
            field = forms.DecimalField(
                label=label,
                required=False,
                max_digits=20,
                decimal_places=2,
                help_text=_("For “at least” and “at most”."),
            )
            self.initial.setdefault(name, value)
        else:  # a parameter without a field of its own: kept as stored
            return
        self.fields[name] = field
        self.parameter_names.append(name)

    # --- From the fields to the parameters --------------------------------------------------
    def parameters(self):
        data, params = self.cleaned_data, {}
        for name in RULE_KINDS[self.kind].default_params:
            what = PARAMETER_FIELDS.get((self.kind, name), ("unknown",))[0]
            if what == "percent_by_size":
                params[name] = {
                    key.split("__", 1)[1]: _number(data[key])
                    for key in self.parameter_names
                    if key.startswith(f"{name}__") and data.get(key) is not None
                }
            elif what == "answer_choices":
                question = data.get("question", "")
                picked = data.get(name) or []
                others = [value for value in picked if not value.startswith(f"{question}:")]
                if others:
                    self.add_error(name, _("Tick only choices of the chosen question."))
                params[name] = [
                    value.split(":", 1)[1] for value in picked if value.startswith(f"{question}:")
                ]
            elif what == "number":
                params[name] = None if data.get(name) is None else str(data[name])
            elif what in ("percent",):
                params[name] = _number(data[name])
            elif name in data:
                params[name] = data[name]
        return params

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            self.instance.params = self.parameters()
        return cleaned

    def _post_clean(self):
        if self.cleaned_data.get("position") is None:
            self.cleaned_data["position"] = self.instance.position or 0
        if self.errors:
            return
        super()._post_clean()


def _number(value):
    """A whole number as an int, else a float (JSON keeps it; validate_params checks it)."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)
