"""``{% attached_package application %}``: the service package attached to an application, with its
items and estimated cost, on the applicant's and the staff's application pages (nothing when none
is attached)."""

from django import template

from smartcity.menu import attached_package as package_of

register = template.Library()


@register.inclusion_tag("smartcity/menu/attached_package.html", takes_context=True)
def attached_package(context, application):
    return {
        "package": package_of(application),
        "application": application,
        # The applicant's page says whether the lead's people may edit; staff pages do not.
        "can_edit": context.get("can_edit", False),
    }
