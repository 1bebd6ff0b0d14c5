"""Staff keep a call's eligibility rules on the call's eligibility page: one function per change,
each locking the call row, refusing once the call is published (the rules are announced with the
call, like its questions: competitions.questions.frozen_refusal), validating the parameters
against the rule's kind and the call's questions (EligibilityRule.clean, validate_params) and
logging who, when and what (Django's admin log)."""

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db import transaction
from django.utils.translation import gettext as _

from .lifecycle import lock_draft_call
from .models import CallState, EligibilityRule


def frozen_refusal(call):
    """Why the call's rules cannot change now (None while the call is a draft)."""
    if call.state == CallState.DRAFT:
        return None
    return _(
        "This call is “%(state)s”: its eligibility rules were announced with it and can no longer be changed."
    ) % {"state": call.get_state_display()}


def _locked_draft_call(call, by):
    return lock_draft_call(
        call,
        by=by,
        perm="competitions.change_eligibilityrule",
        not_allowed=_("Only ministry staff change a call's eligibility rules."),
        frozen_refusal=frozen_refusal,
    )


def _log(by, obj, flag, message):
    LogEntry.objects.log_actions(by.pk, [obj], flag, change_message=message, single_object=True)


def save_rule(rule, *, by):
    """Add or change ``rule`` of ``rule.call``; raises ValidationError (bad parameters, a track of
    another call) or TransitionRefused (published call), and then changes nothing."""
    with transaction.atomic():
        rule.call = _locked_draft_call(rule.call, by)
        adding = rule.pk is None
        if adding and not rule.position:
            rule.position = EligibilityRule.objects.filter(call=rule.call).count() + 1
        rule.full_clean()
        rule.save()
        _log(
            by,
            rule,
            ADDITION if adding else CHANGE,
            _("Eligibility rule saved: %(params)s") % {"params": rule.params},
        )
    return rule


def delete_rule(rule, *, by):
    with transaction.atomic():
        _locked_draft_call(rule.call, by)
        _log(by, rule, DELETION, _("Eligibility rule removed: %(params)s") % {"params": rule.params})
        rule.delete()
