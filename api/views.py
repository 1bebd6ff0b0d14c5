"""API v1. Thin, like the pages' views: every check and change goes through the domain
functions the pages use (projects.workflow, projects.answers via save_draft, projects.documents,
evaluation.assigning, evaluation.selection_runs) and the same ``rules`` permissions, per object.
An object the caller may not see answers 404, never 403 (ids are not a secret handshake)."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from accounts.roles import Role, has_role
from competitions.lifecycle import TransitionRefused
from competitions.models import Call, QuestionKind
from competitions.questions import clean_answer, questions_of
from evaluation import selection_runs
from evaluation.assigning import assign_reviewers
from evaluation.assignment import AssignmentImpossible
from evaluation.models import Assignment
from projects import workflow
from projects.documents import store_document, validate_document
from projects.forms import ApplicationForm, ApplicationStartForm
from projects.ledger_figures import with_money
from projects.models import Application, ApplicationState, Organisation, Project
from projects.views.staff import filtered_applications, queue_filters

from . import serializers as s
from .permissions import Authenticated, IsAuditor, IsStaff, TokenScope

REFUSED = OpenApiResponse(
    s.RefusalSerializer, description="Refused, with the reasons in the caller's language."
)
BAD_INPUT = OpenApiResponse(OpenApiTypes.OBJECT, description="Bad input: the errors by field.")


def _refusal(exc, code=status.HTTP_409_CONFLICT):
    reasons = getattr(exc, "reasons", None) or [str(exc)]
    return Response({"detail": " ".join(reasons), "reasons": reasons}, status=code)


def _django_errors(exc):
    """A Django ValidationError as DRF's (400, errors by field)."""
    if hasattr(exc, "error_dict"):
        return ValidationError(
            {field: [m for e in errors for m in e.messages] for field, errors in exc.error_dict.items()}
        )
    return ValidationError({"non_field_errors": exc.messages})


def _form_errors(form):
    return ValidationError({field: list(errors) for field, errors in form.errors.items()})


# --- Public calls ------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Public calls", auth=[]),
    retrieve=extend_schema(summary="One public call", auth=[]),
)
class CallViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.CallSerializer
    permission_classes = [AllowAny]
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]{1,100}"

    def get_queryset(self):
        return (
            Call.objects.public().prefetch_related("tracks", "service_fields").order_by("-opens_at", "slug")
        )

    # --- Staff, per call: assignments, the selection preview, runs --------------------------

    def _staff_call(self):
        if not has_role(self.request.user, Role.STAFF):
            raise PermissionDenied(_("Only ministry staff may call this."))
        return get_object_or_404(Call.objects.all(), slug=self.kwargs["slug"])

    @extend_schema(
        summary="Assignments of reviewers (staff)",
        methods=["GET"],
        responses={200: s.AssignmentSerializer(many=True)},
    )
    @extend_schema(
        summary="Assign reviewers to the eligible applications (staff)",
        methods=["POST"],
        request=s.AssignRequestSerializer,
        responses={201: s.AssignResultSerializer, 400: BAD_INPUT, 409: REFUSED},
    )
    @action(detail=True, methods=["get", "post"], permission_classes=[Authenticated, TokenScope, IsStaff])
    def assignments(self, request, slug=None):
        call = self._staff_call()
        if request.method == "POST":
            given = s.AssignRequestSerializer(data=request.data)
            given.is_valid(raise_exception=True)
            try:
                created = assign_reviewers(call, by=request.user, seed=given.validated_data["seed"])
            except (AssignmentImpossible, TransitionRefused) as exc:
                return _refusal(exc)
            except Call.evaluation_plan.RelatedObjectDoesNotExist:
                return _refusal(TransitionRefused([_("Set up the call's evaluation plan first.")]))
            return Response({"created": created}, status=status.HTTP_201_CREATED)
        queryset = (
            Assignment.objects.filter(application__call=call)
            .select_related("application", "reviewer", "review")
            .order_by("application__reference", "pk")
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.AssignmentSerializer(page, many=True).data)

    @extend_schema(
        summary="The selection preview: a dry run, recorded nowhere (staff)",
        parameters=[
            OpenApiParameter("preview", str, description="The token of a kept preview, to page through it.")
        ],
        responses={200: s.SelectionResultSerializer(many=True), 409: REFUSED},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="selection-preview",
        permission_classes=[Authenticated, TokenScope, IsStaff],
    )
    def selection_preview(self, request, slug=None):
        call = self._staff_call()
        try:
            kept = selection_runs.preview(
                call, by=request.user, token=str(request.query_params.get("preview", ""))[:64]
            )
        except TransitionRefused as exc:
            return _refusal(exc)
        except Call.evaluation_plan.RelatedObjectDoesNotExist:
            return _refusal(TransitionRefused([_("Set up the call's evaluation plan first.")]))
        page = self.paginate_queryset(kept.results)
        response = self.get_paginated_response(
            s.SelectionResultSerializer([r._asdict() for r in page], many=True).data
        )
        response["X-Preview-Token"] = kept.token
        return response

    @extend_schema(
        summary="Selection runs (staff)",
        methods=["GET"],
        responses={200: s.SelectionRunSerializer(many=True)},
    )
    @extend_schema(
        summary="Record a selection run (staff); confirm it to publish",
        methods=["POST"],
        request=None,
        responses={201: s.SelectionRunSerializer, 409: REFUSED},
    )
    @action(detail=True, methods=["get", "post"], permission_classes=[Authenticated, TokenScope, IsStaff])
    def runs(self, request, slug=None):
        call = self._staff_call()
        if request.method == "POST":
            try:
                run, _results = selection_runs.run_selection(call, by=request.user)
            except TransitionRefused as exc:
                return _refusal(exc)
            except Call.evaluation_plan.RelatedObjectDoesNotExist:
                return _refusal(TransitionRefused([_("Set up the call's evaluation plan first.")]))
            return Response(s.SelectionRunSerializer(run).data, status=status.HTTP_201_CREATED)
        page = self.paginate_queryset(call.selection_runs.order_by("-number"))
        return self.get_paginated_response(s.SelectionRunSerializer(page, many=True).data)

    @extend_schema(
        summary="Confirm a selection run and publish its outcomes (staff)",
        request=s.ConfirmRunSerializer,
        responses={
            200: s.SelectionRunSerializer,
            400: BAD_INPUT,
            404: OpenApiResponse(description="No such run."),
            409: REFUSED,
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"runs/(?P<number>[0-9]{1,9})/confirm",
        permission_classes=[Authenticated, TokenScope, IsStaff],
    )
    def confirm_run(self, request, slug=None, number=None):
        call = self._staff_call()
        run = get_object_or_404(call.selection_runs, number=int(number))
        given = s.ConfirmRunSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            run = selection_runs.confirm_run(
                run, by=request.user, accepted_changes=given.validated_data.get("changes", "")
            )
        except TransitionRefused as exc:
            return _refusal(exc)
        return Response(s.SelectionRunSerializer(run).data)


# --- Organisations -----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Your organisations (staff: every organisation)"),
    retrieve=extend_schema(summary="One organisation"),
)
class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.OrganisationSerializer
    permission_classes = [Authenticated, TokenScope]
    queryset = Organisation.objects.none()  # the schema's id type; get_queryset says which
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        user = self.request.user
        queryset = Organisation.objects.order_by("pk")
        if has_role(user, Role.STAFF):
            return queryset
        return queryset.filter(memberships__user=user).distinct()

    def get_object(self):
        organisation = get_object_or_404(Organisation, pk=self.kwargs["pk"])
        if not self.request.user.has_perm("projects.view_organisation", organisation):
            raise Http404
        return organisation


# --- Applications ------------------------------------------------------------------------------

STAFF_FILTERS = [
    OpenApiParameter("state", str, description="Staff: a state, or 'all' (the default)."),
    OpenApiParameter("call", str, description="Staff: a call's slug."),
    OpenApiParameter("track", int, description="Staff: a track id."),
    OpenApiParameter("field", int, description="Staff: a service field id."),
    OpenApiParameter("size_class", str, description="Staff: the lead's size class."),
    OpenApiParameter(
        "findings", str, enum=["open"], description="Staff: only those with open duplicate findings."
    ),
]


@extend_schema_view(
    list=extend_schema(
        summary="Applications: an applicant's own organisations'; staff's submitted ones, filtered",
        parameters=STAFF_FILTERS,
    ),
    retrieve=extend_schema(summary="One application, with its answers, documents and self-check"),
)
class ApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [Authenticated, TokenScope]
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    queryset = Application.objects.none()  # the schema's id type; get_queryset says which
    lookup_value_regex = r"[0-9]{1,18}"

    def get_serializer_class(self):
        return s.ApplicationDetailSerializer if self.action != "list" else s.ApplicationSerializer

    def get_queryset(self):
        user = self.request.user
        related = ("call", "lead", "track", "service_field")
        if has_role(user, Role.STAFF):
            params = self.request.query_params.copy()
            params.setdefault("state", "all")
            return filtered_applications(queue_filters(params)).select_related(*related)
        return (
            Application.objects.filter(lead__memberships__user=user)
            .select_related(*related)
            .distinct()
            .order_by("-created_at", "-pk")
        )

    def _application(self, perm="projects.view_application"):
        """The application if the caller may act on it (the pages' rule); 404 otherwise."""
        application = get_object_or_404(
            Application.objects.select_related("call", "track", "service_field", "lead"), pk=self.kwargs["pk"]
        )
        if not self.request.user.has_perm(perm, application):
            raise Http404
        return application

    def get_object(self):
        return self._application()

    @extend_schema(
        summary="Start a draft application (applicant)",
        request=s.ApplicationStartSerializer,
        responses={
            201: s.ApplicationDetailSerializer,
            400: BAD_INPUT,
            404: OpenApiResponse(description="No such public call."),
            409: REFUSED,
        },
    )
    def create(self, request):
        given = s.ApplicationStartSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        call = get_object_or_404(Call.objects.public(), slug=data["call"])
        refusal = workflow.deadline_refusal(call, timezone.now())
        if refusal:
            return _refusal(TransitionRefused([refusal]))
        form = ApplicationStartForm(
            {key: ("" if value is None else value) for key, value in data.items() if key != "call"},
            call=call,
            user=request.user,
            instance=Application(call=call),
        )
        if not form.is_valid():
            raise _form_errors(form)
        try:
            application = workflow.start_application(
                call,
                lead=form.cleaned_data["lead"],
                track=form.cleaned_data["track"],
                service_field=form.cleaned_data.get("service_field"),
                title=form.cleaned_data["title"],
                by=request.user,
            )
        except TransitionRefused as exc:
            return _refusal(exc)
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        return Response(s.ApplicationDetailSerializer(application).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a draft: its fields and answers (applicant)",
        request=s.ApplicationChangeSerializer,
        responses={200: s.ApplicationDetailSerializer, 400: BAD_INPUT, 409: REFUSED},
    )
    def partial_update(self, request, pk=None):
        application = self._application("projects.change_application")
        given = s.ApplicationChangeSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        changes = dict(given.validated_data)
        version = changes.pop("version")
        raw_answers = changes.pop("answers", {}) or {}
        if application.state != ApplicationState.DRAFT:
            return _refusal(
                TransitionRefused(
                    [
                        _("Only a draft can be edited; this application is “%(state)s”.")
                        % {"state": application.applicant_label}
                    ]
                )
            )
        # The page's form checks the fields (tracks and fields of this call, the district in
        # its region...): fed with the draft's current values, changed where the call says.
        fields = ApplicationForm.Meta.fields
        data = {}
        for name, value in model_to_dict(application, fields=fields).items():
            if isinstance(value, list):
                value = [item.pk for item in value]
            data[name] = "" if value is None else value
        for name, value in changes.items():
            data[name] = "" if value is None else value
        data["version"] = version
        form = ApplicationForm(data, instance=application)
        # Every refusal at once, the fields' and the answers', as the page shows them.
        errors = {}
        try:
            answers = self._answers(application, raw_answers)
        except ValidationError as exc:
            errors.update(exc.detail)
        if not form.is_valid():
            errors.update({field: list(messages) for field, messages in form.errors.items()})
        if errors:
            raise ValidationError(errors)
        try:
            application = workflow.save_draft(
                application, form.changes(), by=request.user, expected_version=version, answers=answers
            )
        except (workflow.EditConflict, TransitionRefused) as exc:
            return _refusal(exc)
        except DjangoValidationError as exc:
            raise _django_errors(exc) from None
        return Response(s.ApplicationDetailSerializer(application).data)

    def _answers(self, application, raw_answers):
        """{question: cleaned value} for the answers given by code, each checked by its question's
        kind (competitions.questions.clean_answer); every refusal at once, by code."""
        if not raw_answers:
            return {}
        questions = {
            q.code: q for section in questions_of(application.call) for q in section.ordered_questions
        }
        values, errors = {}, {}
        for code, raw in raw_answers.items():
            question = questions.get(code)
            if question is None:
                errors[code] = [_("This call has no question with this code.")]
                continue
            if question.kind == QuestionKind.FILE:
                errors[code] = [
                    _("Upload the file through the application's documents, naming this question.")
                ]
                continue
            if isinstance(raw, bool):
                raw = "yes" if raw else "no"
            elif isinstance(raw, int | float):
                raw = str(raw)
            elif isinstance(raw, list):
                raw = [str(item) for item in raw if isinstance(item, str | int)]
            elif raw is not None and not isinstance(raw, str):
                errors[code] = [_("Give the answer as text, a number or a list of choice codes.")]
                continue
            try:
                values[question] = clean_answer(question, raw)
            except DjangoValidationError as exc:
                errors[code] = exc.messages
        if errors:
            raise ValidationError({"answers": errors})
        return values

    @extend_schema(
        summary="Upload a document to a draft (applicant), checked by its content",
        request={"multipart/form-data": s.DocumentUploadSerializer},
        responses={201: s.DocumentSerializer, 400: BAD_INPUT, 409: REFUSED},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def documents(self, request, pk=None):
        application = self._application("projects.change_application")
        given = s.DocumentUploadSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        if application.state != ApplicationState.DRAFT:
            return _refusal(TransitionRefused([_("Only a draft can be changed.")]))
        refusal = workflow.deadline_refusal(application.call, timezone.now())
        if refusal:
            return _refusal(TransitionRefused([refusal]))
        upload = data["file"]
        question = None
        if data.get("question"):
            question = application.call.questions.filter(
                code=data["question"], kind=QuestionKind.FILE
            ).first()
            if question is None:
                raise ValidationError({"question": [_("This call has no file question with this code.")]})
        elif not data.get("kind"):
            raise ValidationError(
                {"kind": [_("Say which kind of document this is, or which question it answers.")]}
            )
        try:
            file_format = validate_document(upload, upload.name, size=upload.size)
        except DjangoValidationError as exc:
            raise ValidationError({"file": exc.messages}) from None
        if question is not None:
            try:
                saved = workflow.save_draft(
                    application,
                    {},
                    by=request.user,
                    expected_version=application.version,
                    files={question: (upload, file_format)},
                )
            except (workflow.EditConflict, TransitionRefused) as exc:
                return _refusal(exc)
            document = saved.answers.get(question=question).document
        else:
            with transaction.atomic():
                document = store_document(
                    application, kind=data["kind"], upload=upload, file_format=file_format, by=request.user
                )
        return Response(s.DocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Submit a draft (applicant): refused after the deadline or while a rule fails",
        request=None,
        responses={200: s.ApplicationDetailSerializer, 409: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        application = self._application("projects.change_application")
        try:
            application = workflow.submit(application, by=request.user)
        except TransitionRefused as exc:
            return _refusal(exc)
        return Response(s.ApplicationDetailSerializer(application).data)

    @extend_schema(
        summary="Withdraw an application (applicant)",
        request=s.WithdrawSerializer,
        responses={200: s.ApplicationDetailSerializer, 400: BAD_INPUT, 409: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        application = self._application("projects.change_application")
        given = s.WithdrawSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            application = workflow.withdraw(
                application, by=request.user, reason=given.validated_data.get("reason", "")
            )
        except TransitionRefused as exc:
            return _refusal(exc)
        return Response(s.ApplicationDetailSerializer(application).data)

    @extend_schema(
        summary="Decide eligibility (staff): confirm, or reject with a reason",
        request=s.EligibilityDecisionSerializer,
        responses={200: s.ApplicationDetailSerializer, 400: BAD_INPUT, 409: REFUSED},
    )
    @action(detail=True, methods=["post"], permission_classes=[Authenticated, TokenScope, IsStaff])
    def eligibility(self, request, pk=None):
        application = self._application("projects.decide_eligibility")
        given = s.EligibilityDecisionSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            application = workflow.decide_eligibility(
                application,
                by=request.user,
                eligible=given.validated_data["eligible"],
                reason=given.validated_data.get("reason", ""),
            )
        except TransitionRefused as exc:
            return _refusal(exc)
        return Response(s.ApplicationDetailSerializer(application).data)


# --- Auditors: projects and ledgers (read only) --------------------------------------------------


class AuditorOrStaff(IsAuditor):
    message = gettext_lazy("Only auditors and ministry staff may call this.")

    def has_permission(self, request, view):
        return super().has_permission(request, view) or IsStaff().has_permission(request, view)


@extend_schema_view(
    list=extend_schema(summary="Projects with their money (auditors, staff)"),
    retrieve=extend_schema(summary="One project (auditors, staff)"),
)
class ProjectViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.ProjectSerializer
    permission_classes = [Authenticated, TokenScope, AuditorOrStaff]
    lookup_field = "code"
    lookup_value_regex = r"[-a-zA-Z0-9_]{1,30}"

    def get_queryset(self):
        return with_money(Project.objects.select_related("award__application__lead")).order_by("code")

    @extend_schema(
        summary="A project's ledger: payments, spending, settlements (auditors, staff)",
        responses={200: s.LedgerSerializer},
    )
    @action(detail=True, methods=["get"])
    def ledger(self, request, code=None):
        project = self.get_object()
        return Response(
            s.LedgerSerializer(
                {
                    "project": project.code,
                    "disbursements": project.disbursements.order_by("posted_at", "pk"),
                    "expenditures": project.expenditures.order_by("reported_at", "pk"),
                    "settlements": project.settlements.order_by("settled_at", "pk"),
                }
            ).data
        )
