"""The smart-city schemes' pages. Each scheme adds its own patterns here."""

from django.urls import path, re_path

from . import views_analytics, views_certification, views_home, views_index, views_labs, views_menu

app_name = "smartcity"

urlpatterns = [path("", views_home.home, name="home")]

# analytics
urlpatterns += [
    path("analytics/", views_analytics.analytics_page, name="analytics"),
    path("analytics/<slug:table>.<str:kind>", views_analytics.analytics_export, name="analytics_export"),
]

# menu
urlpatterns += [
    path("menu/", views_menu.menu_board, name="menu_board"),
    path("menu/packages/", views_menu.package_list, name="menu_packages"),
    path("menu/packages/new/", views_menu.package_create, name="menu_package_create"),
    path("menu/packages/<int:pk>/", views_menu.package_detail, name="menu_package"),
    path("menu/packages/<int:pk>/lines/<int:line_pk>/", views_menu.package_line, name="menu_package_line"),
    path("menu/packages/<int:pk>/attach/", views_menu.package_attach, name="menu_package_attach"),
]

# certification
urlpatterns += [
    path("catalogue/", views_certification.catalogue_list, name="catalogue"),
    re_path(
        r"^catalogue/export\.(?P<fmt>csv|xlsx)$",
        views_certification.catalogue_export,
        name="catalogue_export",
    ),
    path("catalogue/<int:pk>/", views_certification.catalogue_service, name="catalogue_service"),
    path("certification/", views_certification.certification_home, name="certification_home"),
    path("certification/rounds/new/", views_certification.round_create, name="certification_round_create"),
    path("certification/indexes/", views_index.index_list, name="certification_indexes"),
    path("certification/indexes/<int:pk>/copy/", views_index.index_copy, name="certification_index_copy"),
    path("certification/indexes/<int:pk>/edit/", views_index.index_edit, name="certification_index_edit"),
    path(
        "certification/rounds/<int:pk>/apply/",
        views_certification.certification_apply,
        name="certification_apply",
    ),
    path(
        "certification/applications/<int:pk>/",
        views_certification.certification_application,
        name="certification_application",
    ),
    path(
        "certification/applications/<int:pk>/evidence/",
        views_certification.certification_evidence,
        name="certification_evidence",
    ),
    path(
        "certification/applications/<int:pk>/assess/",
        views_certification.certification_assess,
        name="certification_assess",
    ),
    path(
        "certification/applications/<int:pk>/assign/",
        views_certification.certification_assign,
        name="certification_assign",
    ),
    path(
        "certification/applications/<int:pk>/decide/",
        views_certification.certification_decide,
        name="certification_decide",
    ),
    path(
        "certification/certificates/<int:pk>/link-project/",
        views_certification.certificate_link_project,
        name="certificate_link_project",
    ),
    path(
        "certification/certificates/<int:pk>/change/",
        views_certification.certificate_change,
        name="certificate_change",
    ),
]

# labs
urlpatterns += [
    path("labs/", views_labs.lab_list, name="labs"),
    path("labs/new/", views_labs.lab_create, name="lab_create"),
    path("labs/<int:pk>/", views_labs.lab_detail, name="lab"),
    path("labs/<int:pk>/join/", views_labs.lab_join, name="lab_join"),
    path("labs/<int:pk>/feedback/", views_labs.lab_feedback, name="lab_feedback"),
    path("labs/<int:pk>/survey/", views_labs.lab_survey, name="lab_survey"),
    path("labs/<int:pk>/questions/", views_labs.lab_question, name="lab_question"),
    path("labs/<int:pk>/withdraw/", views_labs.lab_withdraw, name="lab_withdraw"),
    path("labs/<int:pk>/results/", views_labs.lab_results, name="lab_results"),
    re_path(
        r"^labs/(?P<pk>\d+)/results\.(?P<fmt>csv|xlsx)$",
        views_labs.lab_results_export,
        name="lab_results_export",
    ),
    path("labs/<int:pk>/participants/", views_labs.lab_participants, name="lab_participants"),
    path("labs/<int:pk>/phase/", views_labs.lab_phase, name="lab_phase"),
    path("labs/<int:pk>/managers/", views_labs.lab_manager, name="lab_manager"),
]
