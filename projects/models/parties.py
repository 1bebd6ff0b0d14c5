"""The parties to an agreement as records (issue 16, "Structured agreements"): the lead, each
consortium member with its role and share of the work and budget, and the local government
that matches the national subsidy. Made from the application's accepted consortium when the
agreement is signed (projects.parties.create_parties); changed only through an approved
agreement change (projects.agreement_changes), a member added only once it consented. Rows are
never deleted: a member that leaves is marked removed, with the change that removed it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .award import Project
from .years import AgreementChange


class PartyKind(models.TextChoices):
    LEAD = "lead", _("Lead organisation")
    MEMBER = "member", _("Consortium member")
    LOCAL_GOVERNMENT = "local_government", _("Local government")


class PartyState(models.TextChoices):
    ASKED = "asked", _("Asked to join, no answer yet")
    CONSENTED = "consented", _("Consented, waiting for the change's approval")
    ACTIVE = "active", _("Party to the agreement")
    DECLINED = "declined", _("Declined to join")
    CANCELLED = "cancelled", _("Not joined: the change was declined")
    REMOVED = "removed", _("Left the agreement")


# The parties whose shares add up to 100 % (the lead and its members, once active).
SHARING = (PartyKind.LEAD, PartyKind.MEMBER)


class AgreementParty(models.Model):
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="parties")
    kind = models.CharField(_("party"), max_length=20, choices=PartyKind.choices)
    organisation = models.ForeignKey(
        "projects.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agreement_parties",
        verbose_name=_("organisation"),
    )
    name = models.CharField(_("name"), max_length=300)  # as at the agreement (organisations rename)
    role = models.CharField(_("role"), max_length=300, blank=True)
    share_percent = models.DecimalField(
        _("share of the work and budget (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    state = models.CharField(_("state"), max_length=10, choices=PartyState.choices, default=PartyState.ACTIVE)
    added_by_change = models.ForeignKey(
        AgreementChange, on_delete=models.PROTECT, null=True, blank=True, related_name="added_parties"
    )
    removed_by_change = models.ForeignKey(
        AgreementChange, on_delete=models.PROTECT, null=True, blank=True, related_name="removed_parties"
    )
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "pk"]
        verbose_name = _("party to the agreement")
        verbose_name_plural = _("parties to the agreement")

    def __str__(self):
        return self.name
