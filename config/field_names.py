"""The names the admin (and any generated form) shows for model fields declared without one.

A field declared without ``verbose_name`` is labelled with its attribute name in English
('created by', 'uploaded by', 'User' …), on Korean pages too. Rather than a migration per
app to restate each field, the one list below gives every such field, and django-fsm-log's
transition log, a translatable name when the apps are ready (``name_fields``). Setting the
``verbose_name`` attribute at run time leaves the field's deconstruction, hence migrations,
unchanged. tests/test_korean_pages.py checks that no field of ours is left without a
translated name.
"""

from django.apps import apps
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

FIELD_NAMES = {
    "added_by_change": _("added by the agreement change"),
    "answered_at": _("answered at"),
    "answered_by": _("answered by"),
    "application": _("application"),
    "assignment": _("assignment"),
    "at": _("when"),
    "attempts": _("attempts"),
    "award": _("award"),
    "band": _("band"),
    "bonus": _("bonus"),
    "bucket": _("bucket"),
    "by": _("by"),
    "call": _("call"),
    "category": _("category"),
    "changed_by": _("changed by"),
    "closed_by": _("closed by"),
    "confirmed_by": _("confirmed by"),
    "content_type": _("kind of record"),
    "corrected_by": _("corrected by"),
    "created_at": _("created at"),
    "created_by": _("created by"),
    "criterion": _("criterion"),
    "decided_at": _("decided at"),
    "decided_by": _("decided by"),
    "declared_at": _("declared at"),
    "declared_by": _("declared by"),
    "description": _("description"),
    "evaluation_score": _("evaluation score"),
    "field_advancing": _("places advancing in the field"),
    "field_rank": _("rank in field"),
    "filed_by": _("filed by"),
    "final_score": _("final score"),
    "from_slot": _("from slot"),
    "granted_at": _("granted at"),
    "granted_by": _("granted by"),
    "indicator": _("indicator"),
    "invited_by": _("invited by"),
    "item": _("item"),
    "key": _("key"),
    "kind": _("kind"),
    "last_advancing_score": _("last advancing score"),
    "last_error": _("last error"),
    "last_number": _("last number"),
    "last_reminded_on": _("last reminded on"),
    "local_government_after": _("local government after (KRW)"),
    "local_government_before": _("local government before (KRW)"),
    "margin": _("margin"),
    "members": _("members"),
    "no_show_by": _("no-show recorded by"),
    "notice": _("notice"),
    "object_id": _("record number"),
    "objection": _("objection"),
    "organisation": _("organisation"),
    "original_name": _("original file name"),
    "outcome": _("outcome"),
    "phase": _("phase"),
    "plan": _("evaluation plan"),
    "plan_fingerprint": _("plan fingerprint"),
    "position": _("position"),
    "posted_by": _("posted by"),
    "private_cash_after": _("private cash after (KRW)"),
    "private_cash_before": _("private cash before (KRW)"),
    "private_in_kind_after": _("private in-kind after (KRW)"),
    "private_in_kind_before": _("private in-kind before (KRW)"),
    "project": _("project"),
    "proposed_by": _("proposed by"),
    "rank": _("rank"),
    "reason": _("reason"),
    "recorded_by": _("recorded by"),
    "report": _("report"),
    "reported_at": _("reported at"),
    "reported_by": _("reported by"),
    "request": _("request"),
    "requested_at": _("requested at"),
    "requested_by": _("requested by"),
    "requested_subsidy": _("national subsidy requested (KRW)"),
    "requested_subsidy_after": _("national subsidy requested after (KRW)"),
    "requested_subsidy_before": _("national subsidy requested before (KRW)"),
    "removed_by_change": _("removed by the agreement change"),
    "responded_by": _("responded by"),
    "review": _("review"),
    "reviewer": _("reviewer"),
    "rule": _("rule"),
    "run": _("run"),
    "sent_at": _("sent at"),
    "service_field": _("service field"),
    "settled_at": _("settled at"),
    "settled_by": _("settled by"),
    "settlement": _("settlement"),
    "slot": _("slot"),
    "source_state": _("from state"),
    "stage": _("stage"),
    "stage_score": _("stage score"),
    "state": _("state"),
    "submitted_by": _("submitted by"),
    "timestamp": _("when"),
    "to_slot": _("to slot"),
    "token": _("token"),
    "top_criterion_score": _("top criterion score"),
    "transition": _("transition"),
    "updated_at": _("updated at"),
    "updated_by": _("updated by"),
    "uploaded_by": _("uploaded by"),
    "user": _("user"),
    "verified_by": _("verified by"),
    "version": _("version"),
    "year": _("agreement year"),
}
# django-fsm-log names its target state "Target state" (English, hard-coded).
OVERRIDES = {("django_fsm_log", "StateLog", "state"): _("to state")}
APPS = ("accounts", "competitions", "projects", "evaluation", "audit", "django_fsm_log")


def unnamed_fields():
    """(app label, model, field) of every concrete field still named by its attribute."""
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            for field in model._meta.get_fields():
                concrete = getattr(field, "concrete", False) and not field.auto_created
                if concrete and not isinstance(field.verbose_name, Promise):
                    yield label, model, field


def name_fields():
    for label, model, field in list(unnamed_fields()):
        name = OVERRIDES.get((label, model.__name__, field.name)) or FIELD_NAMES.get(field.name)
        if name is not None:
            field.verbose_name = name
