"""The parties to an agreement (issue 16, "Structured agreements"; DESIGN.md §3).

- ``create_parties``: when the agreement is signed, the lead, each accepted consortium member
  (its share of the budget as the application gave it; the lead holds the rest) and the local
  government that matches the national subsidy become records;
- ``member_proposal``: what an agreement change of the members proposes (the new list of
  members, each with role and share; the lead's share is what remains);
- ``ask_new_members`` / ``respond``: a member added by a change is asked first; one of the
  organisation's own people consents or declines (logged) — nobody is added without saying yes;
- ``apply_members``: on approval, consented members join, members left out leave (marked
  removed, never deleted), shares and roles change; what it replaced is kept on the change;
- ``require_shares_add_up``: the invariant (active lead and member shares add up to 100 %),
  checked inside the transaction of every write that changes the parties."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from competitions.lifecycle import TransitionRefused

from .models import (
    AgreementParty,
    Membership,
    Organisation,
    OrganisationKind,
    PartyKind,
    PartyState,
    Project,
)
from .models.parties import SHARING
from .outbox import tell

HUNDRED = Decimal("100")
CENT = Decimal("0.01")


def _refuse(*reasons):
    raise TransitionRefused(list(reasons))


def party_name(organisation):
    return organisation.name


def place_name(place):
    """A district or region as a party's name: Korean with the English in parentheses."""
    if place.name_ko and place.name_ko != place.name:
        return f"{place.name_ko} ({place.name})"
    return place.name


def percent(value):
    """12.50 -> "12.5", 90.00 -> "90" (no exponent)."""
    return f"{Decimal(value).normalize():f}"


def shares_problem(shares):
    """Why the lead's and members' shares do not add up to 100 % (None when they do)."""
    total = sum(shares, Decimal("0"))
    if total != HUNDRED:
        return _(
            "The shares of the lead and the members add up to %(total)s %%; they must add up to 100 %%."
        ) % {"total": percent(total)}
    return None


def require_shares_add_up(project):
    """The invariant, read inside the caller's transaction (the project row locked)."""
    shares = AgreementParty.objects.filter(
        project=project, kind__in=SHARING, state=PartyState.ACTIVE
    ).values_list("share_percent", flat=True)
    problem = shares_problem([share or Decimal("0") for share in shares])
    if problem:
        _refuse(problem)


def create_parties(project, application, award):
    """The parties of a newly signed agreement (inside sign_agreement's transaction)."""
    members = list(application.consortium_members.taking_part().select_related("organisation"))
    lead_share = HUNDRED - sum((member.budget_share_percent for member in members), Decimal("0"))
    if lead_share < 0:
        _refuse(_("The consortium members' shares exceed 100 %; the lead would hold nothing."))
    rows = [
        AgreementParty(
            project=project,
            kind=PartyKind.LEAD,
            organisation=application.lead,
            name=party_name(application.lead),
            role=_("Lead organisation"),
            share_percent=lead_share,
        )
    ] + [
        AgreementParty(
            project=project,
            kind=PartyKind.MEMBER,
            organisation=member.organisation,
            name=party_name(member.organisation),
            share_percent=member.budget_share_percent,
        )
        for member in members
    ]
    lead_is_local = application.lead.kind == OrganisationKind.LOCAL_GOVERNMENT
    place = application.test_bed_district or application.test_bed_region
    if award.local_government > 0 and not lead_is_local:
        rows.append(
            AgreementParty(
                project=project,
                kind=PartyKind.LOCAL_GOVERNMENT,
                name=place_name(place) if place else "",
                role=_("Matches the national subsidy"),
            )
        )
    AgreementParty.objects.bulk_create(rows)
    require_shares_add_up(project)


def _share(value):
    try:
        share = Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, ValueError, TypeError):
        _refuse(_("A share is a percentage such as 12.5."))
    if not Decimal("0") < share <= HUNDRED:
        _refuse(_("A member's share is more than 0 % and at most 100 %."))
    return share


def member_proposal(project, members):
    """The proposed members as plain JSON: ``members`` is a list of (organisation, role,
    share %), the whole new list of members besides the lead. Refused with the reason when an
    organisation appears twice, is the lead, or the shares leave the lead nothing."""
    lead = AgreementParty.objects.filter(
        project=project, kind=PartyKind.LEAD, state=PartyState.ACTIVE
    ).first()
    seen, rows = set(), []
    for organisation, role, share in members:
        if organisation.pk in seen:
            _refuse(_("%(name)s is listed twice.") % {"name": organisation.name})
        if lead is not None and organisation.pk == lead.organisation_id:
            _refuse(
                _("%(name)s leads the project; it is not listed as a member.") % {"name": organisation.name}
            )
        seen.add(organisation.pk)
        rows.append({"organisation": organisation.pk, "role": role.strip(), "share": str(_share(share))})
    lead_share = HUNDRED - sum((Decimal(row["share"]) for row in rows), Decimal("0"))
    if lead_share <= 0:
        _refuse(
            _("The members' shares add up to %(total)s %%; the lead must keep a share.")
            % {"total": percent(HUNDRED - lead_share)}
        )
    return {"members": rows, "lead_share": str(lead_share)}


def ask_new_members(change, project):
    """For each organisation the change adds, a party row waiting for its consent; its people
    are told (inside request_change's transaction)."""
    current = set(
        AgreementParty.objects.filter(
            project=project, kind=PartyKind.MEMBER, state=PartyState.ACTIVE
        ).values_list("organisation_id", flat=True)
    )
    organisations = Organisation.objects.in_bulk([row["organisation"] for row in change.proposed["members"]])
    for row in change.proposed["members"]:
        if row["organisation"] in current:
            continue
        organisation = organisations[row["organisation"]]
        AgreementParty.objects.create(
            project=project,
            kind=PartyKind.MEMBER,
            organisation=organisation,
            name=party_name(organisation),
            role=row["role"],
            share_percent=Decimal(row["share"]),
            state=PartyState.ASKED,
            added_by_change=change,
        )

        def invitation(organisation=organisation):
            subject = _("%(name)s is asked to join the agreement of %(project)s") % {
                "name": organisation.name,
                "project": project.code,
            }
            return subject, f"{subject}\n\n{change.reason}"

        tell(organisation.members.all(), invitation)


def requests_for(user):
    """Places in agreements offered to organisations ``user`` belongs to, waiting for an answer."""
    return (
        AgreementParty.objects.filter(state=PartyState.ASKED, organisation__memberships__user=user)
        .select_related("project__award__application", "organisation", "added_by_change")
        .order_by("pk")
    )


def respond(party, *, by, accept, reason=""):
    """One of the organisation's own people consents to join the agreement or declines (logged
    in the project's history). Consent does not make it a party: staff approving the change do."""
    from .years import log_project

    with transaction.atomic():
        project = Project.objects.select_for_update().get(pk=party.project_id)
        party = (
            AgreementParty.objects.select_for_update(of=("self",))
            .select_related("organisation")
            .get(pk=party.pk)
        )
        if not Membership.objects.filter(user=by, organisation_id=party.organisation_id).exists():
            raise PermissionDenied(_("Only a member of %(name)s answers for it.") % {"name": party.name})
        if party.state != PartyState.ASKED:
            _refuse(_("This request was already answered: %(state)s.") % {"state": party.get_state_display()})
        if accept:
            from .identity import verification_refusal

            refusal = verification_refusal(party.organisation)
            if refusal:
                _refuse(refusal)
        party.state = PartyState.CONSENTED if accept else PartyState.DECLINED
        party.responded_by, party.responded_at = by, timezone.now()
        party.save(update_fields=["state", "responded_by", "responded_at"])
        log_project(
            project,
            by=by,
            transition="respond_to_agreement",
            description=(
                _("%(name)s consented to join the agreement.")
                if accept
                else _("%(name)s declined to join the agreement.")
            )
            % {"name": party.name}
            + (f" {reason.strip()}" if reason.strip() else ""),
        )
    return party


def apply_members(change, project):
    """Apply an approved change of the members (inside decide_change's transaction, the project
    locked); returns what it replaced. Refused while an added organisation has not consented."""
    waiting = list(
        AgreementParty.objects.select_for_update()
        .filter(added_by_change=change)
        .exclude(state=PartyState.CONSENTED)
    )
    if waiting:
        _refuse(
            *[
                _("%(name)s has not consented to join: %(state)s.")
                % {"name": p.name, "state": p.get_state_display()}
                for p in waiting
            ]
        )
    parties = list(
        AgreementParty.objects.select_for_update().filter(
            project=project, kind__in=SHARING, state=PartyState.ACTIVE
        )
    )
    previous = [
        {"organisation": p.organisation_id, "kind": p.kind, "role": p.role, "share": str(p.share_percent)}
        for p in parties
    ]
    proposed = {row["organisation"]: row for row in change.proposed["members"]}
    for party in parties:
        if party.kind == PartyKind.LEAD:
            party.share_percent = Decimal(change.proposed["lead_share"])
            party.save(update_fields=["share_percent"])
        elif party.organisation_id in proposed:
            row = proposed[party.organisation_id]
            party.role, party.share_percent = row["role"], Decimal(row["share"])
            party.save(update_fields=["role", "share_percent"])
        else:
            party.state, party.removed_by_change = PartyState.REMOVED, change
            party.save(update_fields=["state", "removed_by_change"])
    AgreementParty.objects.filter(added_by_change=change, state=PartyState.CONSENTED).update(
        state=PartyState.ACTIVE
    )
    require_shares_add_up(project)
    return {"members": previous}


def cancel_asked(change):
    """A declined change: the organisations it asked do not join."""
    AgreementParty.objects.filter(
        added_by_change=change, state__in=(PartyState.ASKED, PartyState.CONSENTED)
    ).update(state=PartyState.CANCELLED)


def parties_of(project):
    """The project's parties for its pages and the agreement summary: the active ones, then
    those waiting for consent or approval."""
    return list(
        AgreementParty.objects.filter(project=project)
        .exclude(state__in=(PartyState.CANCELLED,))
        .select_related("organisation", "added_by_change")
        .order_by("pk")
    )


def describe_members(value, names):
    """A member proposal or what it replaced, in words: "Name 30 % (role); ...; lead 50 %"."""
    if not value or "members" not in value:
        return ""
    parts = []
    for row in value["members"]:
        if row.get("kind") == PartyKind.LEAD:
            continue
        text = f"{names.get(row['organisation'], row['organisation'])} {percent(row['share'])} %"
        parts.append(f"{text} ({row['role']})" if row.get("role") else text)
    lead = value.get("lead_share") or next(
        (row["share"] for row in value["members"] if row.get("kind") == PartyKind.LEAD), None
    )
    if lead is not None:
        parts.append(_("lead %(share)s %%") % {"share": percent(lead)})
    return "; ".join(parts)


def describe_changes(changes):
    """Sets ``members_proposed`` and ``members_replaced`` on each members change (one query)."""
    changes = list(changes)
    ids = {
        row["organisation"]
        for change in changes
        for value in (change.proposed, change.previous or {})
        for row in (value.get("members") or [])
    }
    names = dict(Organisation.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    for change in changes:
        change.members_proposed = describe_members(change.proposed, names)
        change.members_replaced = describe_members(change.previous, names)
    return changes
