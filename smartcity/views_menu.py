"""The menu board's pages: the public board, and a local government's service packages (list,
compose, correct, attach). Views are thin: smartcity.menu checks, saves and logs every change."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from competitions.lifecycle import TransitionRefused
from competitions.refusals import add_to_form, show_refusal

from . import menu
from .forms_menu import AttachForm, ChangeLineForm, LineForm, PackageForm
from .models import Package, PackageLine, PackageState

PAGE_SIZE = 50


def menu_board(request):
    return render(request, "smartcity/menu/board.html", {**menu.menu_board(), "menu": "smart_menu"})


def _list_page(request, form=None, status=200):
    packages = (
        Package.objects.visible_to(request.user)
        .with_totals()
        .select_related("organisation", "application__call")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(packages, PAGE_SIZE).get_page(request.GET.get("page"))
    organisations = menu.local_governments_of(request.user)
    return render(
        request,
        "smartcity/menu/package_list.html",
        {
            "page": page,
            "form": form or PackageForm(organisations=organisations),
            "composes": organisations.exists(),
        },
        status=status,
    )


@login_required
def package_list(request):
    return _list_page(request)


@login_required
@require_POST
def package_create(request):
    form = PackageForm(request.POST, organisations=menu.local_governments_of(request.user))
    if form.is_valid():
        try:
            package = menu.create_package(
                form.cleaned_data["organisation"], form.cleaned_data["name"], by=request.user
            )
        except ValidationError as exc:
            add_to_form(form, exc)
        else:
            messages.success(request, _("Package created. Add the menu items and their quantities."))
            return redirect("smartcity:menu_package", pk=package.pk)
    return _list_page(request, form, status=400)


def package_for(user, pk, perm="smartcity.view_package"):
    """The package if ``user`` may act on it; 404 otherwise (its existence is not revealed)."""
    package = get_object_or_404(
        Package.objects.with_totals().select_related("organisation", "application__call"), pk=pk
    )
    if not user.has_perm(perm, package):
        raise Http404
    return package


def _package_page(request, package, line_form=None, change_forms=None, attach_form=None, status=200):
    can_change = request.user.has_perm("smartcity.change_package", package)
    lines = list(package.current_lines().select_related("item__menu_item__area"))
    editable = can_change and menu.editable(package)
    change_forms = change_forms or {}
    for line in lines:
        line.form = change_forms.get(line.pk) or ChangeLineForm(
            prefix=f"line-{line.pk}", initial={"quantity": line.quantity, "months": line.months}
        )
    attachable = (
        menu.attachable_applications(package) if can_change and package.state == PackageState.DRAFT else None
    )
    return render(
        request,
        "smartcity/menu/package_detail.html",
        {
            "package": package,
            "lines": lines,
            "editable": editable,
            "line_form": line_form or LineForm(prefix="new"),
            "attach_form": attach_form
            or (AttachForm(applications=attachable) if attachable is not None else None),
            "has_attachable": attachable is not None and attachable.exists(),
            "history": package.events.select_related("by", "line__item"),
        },
        status=status,
    )


@login_required
def package_detail(request, pk):
    """GET: the package; POST (its local government's people): add an item."""
    if request.method != "POST":
        return _package_page(request, package_for(request.user, pk))
    package = package_for(request.user, pk, "smartcity.change_package")
    form = LineForm(request.POST, prefix="new")
    if form.is_valid():
        data = form.cleaned_data
        try:
            menu.add_line(
                package,
                data["item"],
                data["quantity"],
                data["months"],
                by=request.user,
                reason=data["reason"],
            )
        except ValidationError as exc:
            add_to_form(form, exc)
        except TransitionRefused as exc:
            show_refusal(request, exc)
            return redirect("smartcity:menu_package", pk=package.pk)
        else:
            messages.success(request, _("Item added."))
            return redirect("smartcity:menu_package", pk=package.pk)
    return _package_page(request, package, line_form=form, status=400)


@login_required
@require_POST
def package_line(request, pk, line_pk):
    """Change the quantities of an item (``action=change``) or remove it (``action=remove``)."""
    package = package_for(request.user, pk, "smartcity.change_package")
    line = get_object_or_404(PackageLine, pk=line_pk, package=package)
    form = ChangeLineForm(request.POST, prefix=f"line-{line.pk}")
    removing = request.POST.get("action") == "remove"
    if removing:
        form.fields["quantity"].required = False
    if form.is_valid():
        data = form.cleaned_data
        try:
            if removing:
                menu.remove_line(line, by=request.user, reason=data["reason"])
            else:
                menu.change_line(
                    line, data["quantity"], data["months"], by=request.user, reason=data["reason"]
                )
        except ValidationError as exc:
            add_to_form(form, exc)
        except TransitionRefused as exc:
            show_refusal(request, exc)
            return redirect("smartcity:menu_package", pk=package.pk)
        else:
            messages.success(request, _("Item removed.") if removing else _("Item changed."))
            return redirect("smartcity:menu_package", pk=package.pk)
    return _package_page(request, package, change_forms={line.pk: form}, status=400)


@login_required
@require_POST
def package_attach(request, pk):
    package = package_for(request.user, pk, "smartcity.change_package")
    form = AttachForm(request.POST, applications=menu.attachable_applications(package))
    if form.is_valid():
        try:
            menu.attach(package, form.cleaned_data["application"], by=request.user)
        except TransitionRefused as exc:
            show_refusal(request, exc)
        else:
            messages.success(request, _("Package attached to the application."))
        return redirect("smartcity:menu_package", pk=package.pk)
    return _package_page(request, package, attach_form=form, status=400)
