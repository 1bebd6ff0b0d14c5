"""Money figures read from the ledgers of projects.ledger, for pages and dashboards: what was
awarded, paid, recovered and spent, per project and per call. Read-only; each function runs a
fixed number of queries whatever the number of rows. projects.ledger changes money; this module
is the one place that adds it up, so no view or template recomputes it."""

import dataclasses

from django.db.models import BigIntegerField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest

from .models import Award, DisbursementEntry, Expenditure, Settlement


def _project_sum(model, kinds=None, **filters):
    rows = model.objects.filter(project=OuterRef("pk"), **filters)
    if kinds:
        rows = rows.filter(kind__in=kinds)
    field = "amount" if model is DisbursementEntry else "approved_amount"
    return Coalesce(
        Subquery(rows.order_by().values("project").annotate(total=Sum(field)).values("total")[:1]),
        Value(0),
        output_field=BigIntegerField(),
    )


def with_money(queryset):
    """Projects annotated with awarded, paid (net of reversals), recovered, approved spending,
    ``unaccounted`` (paid but not yet covered by approved spending: what the applicant still has
    to report or, at settlement, return) and what is still to recover after a settlement."""
    latest_settlement = (
        Settlement.objects.filter(project=OuterRef("pk")).order_by("-pk").values("to_recover")[:1]
    )
    return (
        queryset.annotate(
            awarded=F("award__national_subsidy"),
            paid=_project_sum(
                DisbursementEntry, [DisbursementEntry.Kind.PAYMENT, DisbursementEntry.Kind.REVERSAL]
            ),
            recovered=_project_sum(DisbursementEntry, [DisbursementEntry.Kind.RECOVERY]),
            approved=_project_sum(Expenditure, state=Expenditure.State.APPROVED),
            settled_due=Subquery(latest_settlement, output_field=BigIntegerField()),
        )
        .annotate(to_recover=F("settled_due") - F("recovered"))
        .annotate(unaccounted=Greatest(F("paid") - F("approved"), Value(0), output_field=BigIntegerField()))
    )


@dataclasses.dataclass(frozen=True)
class CallMoney:
    """A call's money in integer won: committed by awards, paid out (net of reversals),
    recovered, and spent (approved spending)."""

    awarded: int = 0
    paid: int = 0
    recovered: int = 0
    spent: int = 0


def money_per_call(call_ids):
    """{call id: CallMoney} for the given calls, in three grouped queries whatever their number."""
    call_ids = list(call_ids)
    awarded = dict(
        Award.objects.filter(application__call_id__in=call_ids)
        .values_list("application__call_id")
        .annotate(total=Sum("national_subsidy"))
        .order_by()
    )
    call_of_entry = "project__award__application__call_id"
    ledger_rows = (
        DisbursementEntry.objects.filter(**{f"{call_of_entry}__in": call_ids})
        .values_list(call_of_entry)
        .annotate(
            paid=Sum(
                "amount",
                filter=Q(kind__in=[DisbursementEntry.Kind.PAYMENT, DisbursementEntry.Kind.REVERSAL]),
            ),
            recovered=Sum("amount", filter=Q(kind=DisbursementEntry.Kind.RECOVERY)),
        )
        .order_by()
    )
    paid = {call_id: (paid or 0, recovered or 0) for call_id, paid, recovered in ledger_rows}
    spent = dict(
        Expenditure.objects.filter(**{f"{call_of_entry}__in": call_ids}, state=Expenditure.State.APPROVED)
        .values_list(call_of_entry)
        .annotate(total=Sum("approved_amount"))
        .order_by()
    )
    return {
        call_id: CallMoney(
            awarded=awarded.get(call_id) or 0,
            paid=paid.get(call_id, (0, 0))[0],
            recovered=paid.get(call_id, (0, 0))[1],
            spent=spent.get(call_id) or 0,
        )
        for call_id in call_ids
    }
