"""The Certification Index as versions (issue 17): a later index is a new row, not a code
change. Staff copy an index (its categories and sub-categories) as a new version and edit the
copy: names in English and Korean, points, the categories' thresholds and the overall one. A
round picks the index of its kind it is assessed against.

The rules of an index (``index_problems``): every category has at least one sub-category,
every sub-category is worth at least 1 point, a category's threshold is at most its points and
the overall threshold at most the total. An index a round has been assessed against (a
submitted assessment) is frozen: it is never edited again, only copied.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, IntegerField, OuterRef, Prefetch, Sum
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.translation import gettext as _

from competitions.lifecycle import TransitionRefused

from . import certification_rules  # noqa: F401  (registers the permissions)
from .certification import _require, log_step
from .models import Assessment, CertificationIndex, CertificationRound, IndexCategory, IndexItem


@dataclass
class ItemDraft:
    name: str
    max_points: int


@dataclass
class CategoryDraft:
    name: str
    pass_threshold: int
    items: list = field(default_factory=list)  # ItemDraft, those kept

    @property
    def points(self):
        return sum(item.max_points for item in self.items)


def index_problems(name, overall_threshold, categories):
    """What is wrong with an index named ``name`` with ``overall_threshold`` and
    ``categories`` (CategoryDraft): one line per broken rule, empty when none is."""
    problems = []
    if not (name or "").strip():
        problems.append(_("Give the index's name in English."))
    for category in categories:
        label = category.name or _("A category")
        if not (category.name or "").strip():
            problems.append(_("Give every category's name in English."))
        if not category.items:
            problems.append(_("%(category)s: keep at least one sub-category.") % {"category": label})
        for item in category.items:
            if not (item.name or "").strip():
                problems.append(
                    _("%(category)s: give every sub-category's name in English.") % {"category": label}
                )
            if item.max_points is None or item.max_points < 1:
                problems.append(
                    _("%(category)s · %(item)s: a sub-category is worth at least 1 point.")
                    % {"category": label, "item": item.name or "—"}
                )
        if category.pass_threshold is None or category.pass_threshold < 0:
            problems.append(_("%(category)s: the threshold cannot be negative.") % {"category": label})
        elif category.pass_threshold > category.points:
            problems.append(
                _("%(category)s: the threshold of %(threshold)s is above the category's %(points)s points.")
                % {"category": label, "threshold": category.pass_threshold, "points": category.points}
            )
    total = sum(category.points for category in categories)
    if overall_threshold is None or overall_threshold < 0:
        problems.append(_("The overall threshold cannot be negative."))
    elif overall_threshold > total:
        problems.append(
            _("The overall threshold of %(threshold)s is above the index's %(points)s points in total.")
            % {"threshold": overall_threshold, "points": total}
        )
    return problems


# --- Reading --------------------------------------------------------------------------------


def assessed():
    """Submitted assessments of rounds using the outer index (for Exists): what freezes it."""
    return Assessment.objects.filter(application__round__index=OuterRef("pk"), submitted_at__isnull=False)


def indexes_for_staff():
    """Every index with its total points, the rounds using it and whether it is frozen: two
    queries whatever their number."""
    return (
        CertificationIndex.objects.annotate(
            total_points=Coalesce(Sum("categories__items__max_points"), 0, output_field=IntegerField()),
            frozen=Exists(assessed()),
        )
        .prefetch_related(Prefetch("rounds", queryset=CertificationRound.objects.order_by("pk")))
        .order_by("kind", "-pk")
    )


def is_frozen(index):
    """Assessed against (a round using it has a submitted assessment): copy it, never edit it."""
    return CertificationIndex.objects.filter(pk=index.pk).filter(Exists(assessed())).exists()


def ensure_editable(index):
    """Refuse (TransitionRefused) to edit a frozen index."""
    if is_frozen(index):
        raise TransitionRefused(
            [
                _(
                    "This index has been assessed against and can no longer be edited; copy it as "
                    "a new version instead."
                )
            ]
        )


def with_parts(index_pk):
    """The index with its categories and their sub-categories, in order (three queries)."""
    return CertificationIndex.objects.prefetch_related(
        Prefetch("categories", queryset=IndexCategory.objects.prefetch_related("items"))
    ).get(pk=index_pk)


# --- Changing -------------------------------------------------------------------------------


def _shown(value):
    return "—" if value in ("", None) else value


def _version_name(name, language):
    with translation.override(language):
        return _("%(name)s (new version)") % {"name": name}


def copy_index(index, *, by):
    """A new version of ``index``: the index, its categories and sub-categories copied (the
    original untouched), logged on both. Staff then edit the copy."""
    _require(by, "smartcity.change_certificationindex", index, _("Only staff make index versions."))
    with transaction.atomic():
        original = with_parts(index.pk)
        copy = CertificationIndex.objects.create(
            kind=original.kind,
            name=_version_name(original.name, "en"),
            name_ko=_version_name(original.name_ko, "ko") if original.name_ko else "",
            overall_threshold=original.overall_threshold,
        )
        items = []
        for category in original.categories.all():
            new_category = IndexCategory.objects.create(
                index=copy,
                name=category.name,
                name_ko=category.name_ko,
                position=category.position,
                pass_threshold=category.pass_threshold,
            )
            items += [
                IndexItem(
                    category=new_category,
                    name=item.name,
                    name_ko=item.name_ko,
                    position=item.position,
                    max_points=item.max_points,
                )
                for item in category.items.all()
            ]
        IndexItem.objects.bulk_create(items)
        note = _("Copied from “%(name)s” (no. %(pk)s).") % {"name": original.name, "pk": original.pk}
        log_step(copy, by=by, transition="copy_index", description=note)
        log_step(
            original,
            by=by,
            transition="copy_index",
            description=_("Copied as “%(name)s” (no. %(pk)s).") % {"name": copy.name, "pk": copy.pk},
        )
    return copy


def revise_index(index, *, by, name, name_ko, overall_threshold, categories=None, items=None, new_items=None):
    """Edit an index that is not frozen: its names and overall threshold; ``categories``
    {category pk: {"name", "name_ko", "pass_threshold"}}; ``items`` {item pk: {"name",
    "name_ko", "max_points", "remove"}} (those not named stay as they are); ``new_items``
    {category pk: [{"name", "name_ko", "max_points"}]}, sub-categories added after the
    category's last. Refused with the reasons, nothing saved, when the index is frozen or the
    result breaks a rule of ``index_problems``; logged with what changed."""
    _require(by, "smartcity.change_certificationindex", index, _("Only staff edit an index."))
    categories, items, new_items = categories or {}, items or {}, new_items or {}
    with transaction.atomic():
        locked = CertificationIndex.objects.select_for_update().get(pk=index.pk)
        ensure_editable(locked)
        current = with_parts(locked.pk)
        known_categories = {c.pk: c for c in current.categories.all()}
        known_items = {i.pk: i for c in known_categories.values() for i in c.items.all()}
        unknown_categories = (set(categories) | set(new_items)) - set(known_categories)
        if unknown_categories or set(items) - set(known_items):
            raise TransitionRefused([_("A category or sub-category is not part of this index.")])

        changes = []

        def change(obj, prefix, attribute, value):
            old = getattr(obj, attribute)
            if value != old:
                label = obj._meta.get_field(attribute).verbose_name
                changes.append(f"{prefix}{label}: {_shown(old)} → {_shown(value)}")
                setattr(obj, attribute, value)
                return True
            return False

        index_changed = [
            change(locked, "", "name", (name or "").strip()),
            change(locked, "", "name_ko", (name_ko or "").strip()),
            change(locked, "", "overall_threshold", overall_threshold),
        ]
        drafts, changed, removed, added = [], [], [], []
        for category in known_categories.values():
            values, label = categories.get(category.pk, {}), category.name
            edited = [
                change(category, f"{label} · ", attribute, values[attribute])
                for attribute in ("name", "name_ko", "pass_threshold")
                if attribute in values
            ]
            if any(edited):
                changed.append(category)
            draft = CategoryDraft(category.name, category.pass_threshold)
            for item in category.items.all():
                values = items.get(item.pk, {})
                if values.get("remove"):
                    changes.append(_("%(item)s: removed") % {"item": item.name})
                    removed.append(item)
                    continue
                label = item.name
                edited = [
                    change(item, f"{label} · ", attribute, values[attribute])
                    for attribute in ("name", "name_ko", "max_points")
                    if attribute in values
                ]
                if any(edited):
                    changed.append(item)
                draft.items.append(ItemDraft(item.name, item.max_points))
            last = max((item.position for item in category.items.all()), default=0)
            for position, values in enumerate(new_items.get(category.pk, ()), last + 1):
                item = IndexItem(
                    category=category,
                    position=position,
                    name=(values.get("name") or "").strip(),
                    name_ko=(values.get("name_ko") or "").strip(),
                    max_points=values.get("max_points"),
                )
                changes.append(
                    _("%(category)s · %(item)s: added (%(points)s points)")
                    % {"category": label, "item": item.name, "points": item.max_points}
                )
                added.append(item)
                draft.items.append(ItemDraft(item.name, item.max_points))
            drafts.append(draft)
        problems = index_problems(locked.name, locked.overall_threshold, drafts)
        if problems:
            raise TransitionRefused(problems)
        if not changes:
            return locked
        if any(index_changed):
            locked.save(update_fields=["name", "name_ko", "overall_threshold"])
        for obj in changed:
            obj.save()
        IndexItem.objects.filter(pk__in=[item.pk for item in removed]).delete()
        IndexItem.objects.bulk_create(added)
        log_step(locked, by=by, transition="revise_index", description="; ".join(changes))
    return locked
