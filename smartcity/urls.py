"""The smart-city schemes' pages. Each scheme adds its own patterns here."""

from django.urls import path

from . import views_analytics, views_menu

app_name = "smartcity"

urlpatterns = []

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
