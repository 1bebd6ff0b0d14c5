"""Where the menu board meets certification: the certified services that deliver each menu item.

The menu part does not import the certification part's models (the two are built side by side);
this one function is the seam between them.
"""


def certified_services_for(menu_items):
    """{menu item pk: [its currently certified services]} for the given ``competitions.SmartService``
    rows, in one query whatever their number.

    Returns {} until the certification part's CertifiedService exists: the merger wires it to
    ``CertifiedService.objects.currently_certified().filter(menu_item__in=menu_items)`` (the
    ``certified_services`` relation of the menu item), grouped by ``menu_item_id``.
    """
    return {}
