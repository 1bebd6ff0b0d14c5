"""Who may do what on a call's notice page (``rules`` predicates, checked per object).

Staff keep the page (documents, notices, contact, answers, deadline extensions); a signed-in
person who applies for grants asks questions; a question nobody has answered yet is seen only by
the person who asked it and by staff.
"""

import rules

from accounts.roles import Role, applies_for_grants, has_role


@rules.predicate
def is_staff_member(user):
    return has_role(user, Role.STAFF)


@rules.predicate
def may_apply_for_grants(user):
    return applies_for_grants(user)


@rules.predicate
def asked_it(user, question):
    return question is not None and user.is_authenticated and question.asked_by_id == user.pk


@rules.predicate
def is_answered(user, question):
    return question is not None and question.answered_at is not None


rules.add_perm("competitions.manage_notice_page", is_staff_member)
rules.add_perm("competitions.ask_inquiry", may_apply_for_grants & ~is_staff_member)
rules.add_perm("competitions.view_inquiry", is_answered | asked_it | is_staff_member)
rules.add_perm("competitions.answer_inquiry", is_staff_member)
