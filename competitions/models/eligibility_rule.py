"""A Call's eligibility rules: which rule kinds apply (to the whole call or one track) and
with which parameters. The kinds and their checks live in competitions.eligibility."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from competitions.eligibility import RULE_KINDS, kind_choices, validate_params

from .call import Call, Track


class EligibilityRule(models.Model):
    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="eligibility_rules", verbose_name=_("call")
    )
    track = models.ForeignKey(
        Track,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="eligibility_rules",
        verbose_name=_("track"),
        help_text=_("Leave empty to apply the rule to every track of the call."),
    )
    kind = models.CharField(_("rule"), max_length=40, choices=kind_choices())
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["call", "position", "pk"]
        verbose_name = _("eligibility rule")
        verbose_name_plural = _("eligibility rules")

    def __str__(self):
        return str(RULE_KINDS[self.kind].label) if self.kind in RULE_KINDS else self.kind

    def clean(self):
        if self.track_id and self.call_id and self.track.call_id != self.call_id:
            raise ValidationError({"track": _("The track must belong to the same call.")})
        if self.kind:
            questions = None
            if self.call_id:
                from competitions.questions import question_facts

                questions = question_facts(self.call.questions.all())
            self.params = validate_params(self.kind, self.params or {}, questions=questions)

    @classmethod
    def configured_for(cls, call_id, track_id):
        """(kind, params) pairs for an application in ``track_id`` of ``call_id``, in order."""
        rules = cls.objects.filter(call_id=call_id).filter(
            models.Q(track__isnull=True) | models.Q(track_id=track_id)
        )
        return [(rule.kind, rule.params) for rule in rules]
