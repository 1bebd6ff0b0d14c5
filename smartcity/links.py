"""Where the menu board meets certification: the certified services that deliver each menu item."""

from collections import defaultdict

from .models import CertifiedService


def certified_services_for(menu_items):
    """{menu item pk: [its currently certified services]} for the given ``competitions.SmartService``
    rows, in one query whatever their number."""
    found = defaultdict(list)
    for service in (
        CertifiedService.objects.currently_certified().filter(menu_item__in=menu_items).order_by("name", "pk")
    ):
        found[service.menu_item_id].append(service)
    return dict(found)
