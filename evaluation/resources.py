"""Reviewers in and out of the admin as spreadsheets (see competitions.resources).

A reviewer is matched on the pseudonymous code; the account is given by its e-mail address
and the affiliation by the organisation's business registration number. Names are not in the
file: they belong to the account, not to the reviewer record.
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from import_export import fields

from competitions.resources import StrictResource
from projects.resources import LookupWidget, organisation_by_registration_number

from .models import Reviewer


class EmailWidget(LookupWidget):
    def get_lookup_kwargs(self, value, row, **kwargs):
        return {"email__iexact": value}  # as typed by people: Kim@Example.kr


class ReviewerResource(StrictResource):
    user = fields.Field(
        attribute="user",
        column_name="user",
        widget=EmailWidget(
            get_user_model(), "email", _("There is no account with the e-mail address %(value)s.")
        ),
    )
    affiliation = fields.Field(
        attribute="affiliation", column_name="affiliation", widget=organisation_by_registration_number()
    )

    class Meta(StrictResource.Meta):
        model = Reviewer
        import_id_fields = ["code"]
        fields = ["code", "user", "affiliation"]
