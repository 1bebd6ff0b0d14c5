"""Who is shown as whom: the one place that turns a person into what a reader may see.

DESIGN.md §3: "reviewers' identities are never shown to applicants, and to auditors only as
pseudonymous codes". Staff appoint reviewers and see who they are; an auditor reads a reviewer
only as the code the funding workbook uses; an applicant reads no reviewer at all, only that
the ministry (or the system, on its own) acted.

A reviewer's pseudonymous code is ``evaluation.Reviewer.code``. It is read here through the
user's one-to-one ``reviewer`` relation, without importing evaluation, so that every floor can
use it: the admin of competitions and projects, the evaluation pages and the auditors' room.
"""

import re

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from .models import User
from .roles import Role, has_role
from .system import SYSTEM_EMAIL

# The user's one-to-one relation to their evaluation.Reviewer, and the code through it.
REVIEWER = "reviewer"
CODE = f"{REVIEWER}__code"


def pseudonym(user):
    """The user's pseudonymous code if they are a reviewer, else None. Select
    ``<the user>__reviewer`` with the user to read it without a query."""
    if user is None:
        return None
    reviewer = getattr(user, REVIEWER, None)
    return reviewer.code if reviewer is not None else None


def pseudonyms(user_ids):
    """{user id: pseudonymous code} for those of ``user_ids`` (ids, or a queryset of them read
    as a subquery) who are reviewers (one query)."""
    ids = user_ids if isinstance(user_ids, QuerySet) else {pk for pk in user_ids if pk is not None}
    if not isinstance(ids, QuerySet) and not ids:
        return {}
    return dict(User.objects.filter(pk__in=ids, reviewer__isnull=False).values_list("pk", CODE))


def pseudonyms_by_address(addresses):
    """{address as given: code} for the e-mail addresses that belong to reviewers (one query)."""
    given = {address.lower(): address for address in addresses if address}
    if not given:
        return {}
    rows = User.objects.filter(email__in=list(given), reviewer__isnull=False).values_list("email", CODE)
    return {given[email.lower()]: code for email, code in rows if email.lower() in given}


def code_for_address(field):
    """For a queryset: the pseudonymous code of the reviewer whose e-mail address is in
    ``field`` (None when the address is no reviewer's), as one subquery."""
    reviewers = User.objects.filter(email__iexact=OuterRef(field), reviewer__isnull=False)
    return Subquery(reviewers.values(CODE)[:1])


def without_addresses(text, address, code):
    """``text`` with every occurrence of a reviewer's ``address`` replaced by their ``code``."""
    if not (text and address and code):
        return text
    return re.sub(re.escape(address), code, text, flags=re.IGNORECASE)


def sees_reviewers(viewer):
    """Staff see who reviewers are (they appoint them); nobody else does."""
    return bool(viewer and viewer.is_authenticated and has_role(viewer, Role.STAFF))


def is_system(user):
    return user is not None and user.email == SYSTEM_EMAIL


def shown_as(user, viewer, codes=None):
    """``user`` as ``viewer`` may read them: the e-mail address, or, unless the viewer sees
    reviewers, a reviewer's pseudonymous code. ``codes`` ({user id: code}, from
    ``pseudonyms``) saves the query when many people are shown."""
    if user is None:
        return ""
    if sees_reviewers(viewer):
        return user.email
    code = codes.get(user.pk) if codes is not None else pseudonym(user)
    return code or user.email


def shown_to_applicant(user, own_people):
    """Who acted on an application, as its applicant reads it: their own people (``own_people``,
    user ids of the lead organisation's members) by address; the system account as the system;
    anyone else, reviewers included, only as the ministry."""
    if user is None:
        return ""
    if user.pk in own_people:
        return user.email
    if is_system(user):
        return _("Gongmo (automatic)")
    return _("Ministry staff")
