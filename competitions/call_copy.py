"""A new call from an earlier one ("new call from this one"), so that staff set up next year's
call by changing what changed rather than typing it all again.

Rule book (docs/rule-book.md "Setting up a call"): the copy is a draft with its own slug, titles
and reception window; it takes the earlier call's money and quotas, tracks, service fields (with
their maximum awards), eligibility rules (a track's rule points at the copy of its track),
application questions and their sections, and contact; the floors above copy what they keep
of a call (the evaluation plan with its stages, criteria and bonus rules: evaluation.call_copy)
through the ``call_copied`` signal, in the same transaction. Applications, notices, documents,
questions asked, deadline extensions, selection runs and every state log stay with the earlier
call. The copy records which call it came from, and who copied it when (Django's admin log).
"""

from django.contrib.admin.models import ADDITION, LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import Call, CallContact, EligibilityRule, Question, QuestionSection
from .signals import call_copied

# What a copy never takes from its source, whatever the model gains later: identity, state,
# the record, and the link to an earlier stage (last year's stage 1 is not this year's).
NOT_COPIED = {
    "id",
    "slug",
    "state",
    "created_at",
    "updated_at",
    "previous_stage",
    "copied_from",
    "briefing_at",
}


def clone(instance, exclude=(), **overrides):
    """An unsaved copy of ``instance``: its concrete fields but the primary key and ``exclude``,
    then ``overrides`` (field name -> value)."""
    model = type(instance)
    values = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.name in exclude or field.name in overrides:
            continue
        values[field.attname] = getattr(instance, field.attname)
    copy = model(**values)
    for name, value in overrides.items():
        setattr(copy, name, value)
    return copy


def copy_call(source, *, slug, title, title_ko="", opens_at, closes_at, by, reference_prefix=""):
    """Create a draft call from ``source`` (see the module's rule). Raises PermissionDenied, or
    ValidationError (slug taken, window backwards, ...) and then creates nothing."""
    if not by.has_perm("competitions.add_call"):
        raise PermissionDenied(_("Only ministry staff create calls."))
    with transaction.atomic():
        source = Call.objects.select_for_update().get(pk=source.pk)
        if Call.objects.filter(slug=slug).exists():
            raise ValidationError({"slug": _("A call with this slug already exists.")})
        call = clone(
            source,
            exclude=NOT_COPIED,
            slug=slug,
            title=title,
            title_ko=title_ko,
            opens_at=opens_at,
            closes_at=closes_at,
            reference_prefix=reference_prefix,
        )
        call.copied_from = source
        call.full_clean()
        call.save()
        tracks = _copy_all(source.tracks.all(), call=call)
        _copy_all(source.service_fields.all(), call=call)
        for rule in EligibilityRule.objects.filter(call=source):
            clone(rule, call=call, track=tracks.get(rule.track_id)).save()
        sections = _copy_all(QuestionSection.objects.filter(call=source), call=call)
        for question in Question.objects.filter(call=source):
            clone(question, call=call, section=sections[question.section_id]).save()
        contact = CallContact.objects.filter(call=source).first()
        if contact is not None:
            clone(contact, call=call, updated_by=by).save()
        call_copied.send(sender=Call, source=source, copy=call, tracks=tracks, by=by)
        LogEntry.objects.log_actions(
            by.pk,
            [call],
            ADDITION,
            change_message=_("Copied from the call %(slug)s (%(title)s).")
            % {"slug": source.slug, "title": source.title},
            single_object=True,
        )
    return call


def _copy_all(objects, **overrides):
    """Copy each object with ``overrides``; return {old primary key: the copy}."""
    copies = {}
    for obj in objects:
        copy = clone(obj, **overrides)
        copy.save()
        copies[obj.pk] = copy
    return copies
