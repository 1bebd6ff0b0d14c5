"""The service package attached to an application, with its items and estimated cost, as a
section of the applicant's and the staff's application pages (registered with projects.panels by
smartcity.apps; nothing when none is attached)."""

from django.template.loader import render_to_string

from smartcity.menu import attached_package


def attached_package_panel(application, context):
    return render_to_string(
        "smartcity/menu/attached_package.html",
        {
            "package": attached_package(application),
            "application": application,
            # The applicant's page says whether the lead's people may edit; staff pages do not.
            "can_edit": context.get("can_edit", False),
        },
        request=context.get("request"),
    ).strip()
