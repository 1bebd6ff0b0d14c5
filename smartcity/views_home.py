"""The smart-city schemes' front page: one entry in the main menu, each scheme one link here."""

from django.shortcuts import render

from accounts.roles import Role, has_role


def home(request):
    user = request.user
    return render(
        request,
        "smartcity/home.html",
        {
            "menu": "smart_city",
            "reads_analytics": user.is_authenticated
            and (has_role(user, Role.STAFF) or has_role(user, Role.AUDITOR)),
        },
    )
