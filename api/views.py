"""API v1. Thin, like the pages' views: every check and change goes through the domain
functions the pages use (projects.workflow, projects.answers via save_draft, projects.documents,
projects.identity for consortia, projects.corrections, projects.ledger, evaluation.assigning,
evaluation.reviewing, evaluation.objections, evaluation.selection_runs) and the same ``rules``
permissions, per object. An object the caller may not see answers 404, never 403 (ids are not a
secret handshake). Every action goes through api.actions.DomainActions: input checked, the
domain function called, its refusal a 409 with the reasons in the caller's language."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
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
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from accounts.roles import Role, has_role
from competitions.lifecycle import TransitionRefused
from competitions.models import Call, QuestionKind
from competitions.questions import clean_answer, questions_of
from evaluation import objections, pledges, reviewing, selection_runs
from evaluation.assigning import assign_reviewers
from evaluation.models import Assignment, Criterion, NoConflictDeclaration, Objection, Pledge
from evaluation.selection import Result
from projects import corrections, identity, ledger, workflow
from projects.documents import store_document, validate_document
from projects.forms import ApplicationForm, ApplicationStartForm, ConsortiumMemberForm
from projects.ledger_figures import with_money
from projects.models import Application, ApplicationState, ConsortiumMember, Organisation, Project
from projects.views.staff import filtered_applications, queue_filters

from . import serializers as s
from .actions import DomainActions, form_errors, refusal
from .permissions import Authenticated, IsAuditor, IsStaff, TokenScope

REFUSED = OpenApiResponse(
    s.RefusalSerializer, description="Refused, with the reasons in the caller's language."
)
BAD_INPUT = OpenApiResponse(OpenApiTypes.OBJECT, description="Bad input: the errors by field.")


# --- Public calls ------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Public calls", auth=[]),
    retrieve=extend_schema(summary="One public call", auth=[]),
)
class CallViewSet(DomainActions, viewsets.ReadOnlyModelViewSet):
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
            seed = self.given(s.AssignRequestSerializer)["seed"]
            return self.perform(
                lambda: assign_reviewers(call, by=request.user, seed=seed),
                lambda created: {"created": created},
                code=status.HTTP_201_CREATED,
            )
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
            return refusal(exc)
        except Call.evaluation_plan.RelatedObjectDoesNotExist:
            return refusal([_("Set up the call's evaluation plan first.")])
        # The kept rows paged as they are: a Result is built for the page's rows only.
        page = self.paginate_queryset(kept.rows)
        response = self.get_paginated_response(
            s.SelectionResultSerializer([Result._make(row)._asdict() for row in page], many=True).data
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
            return self.perform(
                lambda: selection_runs.run_selection(call, by=request.user),
                lambda ran: s.SelectionRunSerializer(ran[0]).data,
                code=status.HTTP_201_CREATED,
            )
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
        changes = self.given(s.ConfirmRunSerializer).get("changes", "")
        return self.perform(
            lambda: selection_runs.confirm_run(run, by=request.user, accepted_changes=changes),
            lambda confirmed: s.SelectionRunSerializer(confirmed).data,
        )

    @extend_schema(
        summary="Close the review (staff): applications with enough reviews become scored",
        request=None,
        responses={200: s.ClosedReviewSerializer, 409: REFUSED},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="close-review",
        permission_classes=[Authenticated, TokenScope, IsStaff],
    )
    def close_review(self, request, slug=None):
        call = self._staff_call()
        return self.perform(
            lambda: reviewing.close_review(call, by=request.user),
            lambda closed: (
                s.ClosedReviewSerializer(
                    {
                        "scored": closed.scored,
                        "already_scored": closed.already_scored,
                        "lacking": [str(reason) for reason in closed.lacking],
                        "message": str(closed.message()),
                    }
                ).data
            ),
        )


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
class ApplicationViewSet(
    DomainActions, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
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
        data = self.given(s.ApplicationStartSerializer)
        call = get_object_or_404(Call.objects.public(), slug=data["call"])
        late = workflow.deadline_refusal(call, timezone.now())
        if late:
            return refusal([late])
        form = ApplicationStartForm(
            {key: ("" if value is None else value) for key, value in data.items() if key != "call"},
            call=call,
            user=request.user,
            instance=Application(call=call),
        )
        if not form.is_valid():
            raise form_errors(form)
        return self.perform(
            lambda: workflow.start_application(
                call,
                lead=form.cleaned_data["lead"],
                track=form.cleaned_data["track"],
                service_field=form.cleaned_data.get("service_field"),
                title=form.cleaned_data["title"],
                by=request.user,
            ),
            _detail,
            code=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="Change a draft: its fields and answers (applicant)",
        request=s.ApplicationChangeSerializer,
        responses={200: s.ApplicationDetailSerializer, 400: BAD_INPUT, 409: REFUSED},
    )
    def partial_update(self, request, pk=None):
        application = self._application("projects.change_application")
        changes = dict(self.given(s.ApplicationChangeSerializer))
        version = changes.pop("version")
        raw_answers = changes.pop("answers", {}) or {}
        if application.state != ApplicationState.DRAFT:
            return refusal(
                [
                    _("Only a draft can be edited; this application is “%(state)s”.")
                    % {"state": application.applicant_label}
                ]
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
        return self.perform(
            lambda: workflow.save_draft(
                application, form.changes(), by=request.user, expected_version=version, answers=answers
            ),
            _detail,
        )

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
        summary="Upload a document (applicant): to a draft, or a new version of what a correction names",
        request={"multipart/form-data": s.DocumentUploadSerializer},
        responses={201: s.DocumentSerializer, 400: BAD_INPUT, 409: REFUSED},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def documents(self, request, pk=None):
        application = self._application("projects.change_application")
        data = self.given(s.DocumentUploadSerializer)
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
        # As on the page: under an open correction request, only what it names, until its
        # deadline (projects.corrections checks); otherwise only a draft, until the call closes.
        correcting = application.state == ApplicationState.CORRECTION_REQUESTED
        if correcting and question is None:
            return self.perform(
                lambda: corrections.replace_document(
                    application, kind=data["kind"], upload=upload, by=request.user
                ),
                lambda document: s.DocumentSerializer(document).data,
                code=status.HTTP_201_CREATED,
            )
        late = None if correcting else workflow.draft_change_refusal(application, timezone.now())
        if late:
            return refusal([late])
        try:
            file_format = validate_document(upload, upload.name, size=upload.size)
        except DjangoValidationError as exc:
            raise ValidationError({"file": exc.messages}) from None
        if correcting:
            return self.perform(
                lambda: corrections.correct_answers(
                    application, {}, {question: (upload, file_format)}, by=request.user
                ),
                lambda revisions: s.DocumentSerializer(revisions[0].document_after).data,
                code=status.HTTP_201_CREATED,
            )
        if question is not None:
            return self.perform(
                lambda: workflow.save_draft(
                    application,
                    {},
                    by=request.user,
                    expected_version=application.version,
                    files={question: (upload, file_format)},
                ),
                lambda saved: s.DocumentSerializer(saved.answers.get(question=question).document).data,
                code=status.HTTP_201_CREATED,
            )
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
        return self.perform(lambda: workflow.submit(application, by=request.user), _detail)

    @extend_schema(
        summary="Withdraw an application (applicant)",
        request=s.WithdrawSerializer,
        responses={200: s.ApplicationDetailSerializer, 400: BAD_INPUT, 409: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        application = self._application("projects.change_application")
        reason = self.given(s.WithdrawSerializer).get("reason", "")
        return self.perform(lambda: workflow.withdraw(application, by=request.user, reason=reason), _detail)

    @extend_schema(
        summary="Decide eligibility (staff): confirm, or reject with a reason",
        request=s.EligibilityDecisionSerializer,
        responses={200: s.ApplicationDetailSerializer, 400: BAD_INPUT, 409: REFUSED},
    )
    @action(detail=True, methods=["post"], permission_classes=[Authenticated, TokenScope, IsStaff])
    def eligibility(self, request, pk=None):
        application = self._application("projects.decide_eligibility")
        data = self.given(s.EligibilityDecisionSerializer)
        return self.perform(
            lambda: workflow.decide_eligibility(
                application, by=request.user, eligible=data["eligible"], reason=data.get("reason", "")
            ),
            _detail,
        )

    # --- The consortium: the lead proposes members (each then consents: ConsortiumRequestViewSet)

    @extend_schema(
        summary="The application's consortium members",
        methods=["GET"],
        responses={200: s.ConsortiumMemberSerializer(many=True)},
    )
    @extend_schema(
        summary="Propose a consortium member (applicant, a draft): it joins once its people accept",
        methods=["POST"],
        request=s.ConsortiumMemberAddSerializer,
        responses={201: s.ConsortiumMemberSerializer, 400: BAD_INPUT, 409: REFUSED},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def members(self, request, pk=None):
        if request.method == "GET":
            application = self._application()
            members = application.consortium_members.live().select_related("organisation").order_by("pk")
            return Response(s.ConsortiumMemberSerializer(members, many=True).data)
        application = self._application("projects.change_application")
        data = self.given(s.ConsortiumMemberAddSerializer)
        late = workflow.draft_change_refusal(application, timezone.now())
        if late:
            return refusal([late])
        # The page's form checks the number, the lead, duplicates and the shares.
        form = ConsortiumMemberForm({key: str(value) for key, value in data.items()}, application=application)
        if not form.is_valid():
            raise form_errors(form)
        return self.perform(
            form.save, lambda member: s.ConsortiumMemberSerializer(member).data, code=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Take a proposed member off the consortium (applicant, a draft): withdrawn, kept, logged",
        request=s.ConsortiumMemberRemoveSerializer,
        responses={204: None, 400: BAD_INPUT, 409: REFUSED},
    )
    @action(detail=True, methods=["post"], url_path=r"members/(?P<member>[0-9]{1,18})/remove")
    def remove_member(self, request, pk=None, member=None):
        application = self._application("projects.change_application")
        proposed = get_object_or_404(application.consortium_members.live(), pk=int(member))
        reason = self.given(s.ConsortiumMemberRemoveSerializer).get("reason", "")
        return self.perform(
            lambda: identity.remove_consortium_member(proposed, by=request.user, reason=reason),
            lambda _removed: None,
            code=status.HTTP_204_NO_CONTENT,
        )

    # --- Corrections: staff ask for one; the applicant corrects the named parts and resubmits

    @extend_schema(
        summary="Ask for a correction (staff): the parts, what to correct, a deadline",
        request=s.CorrectionRequestInputSerializer,
        responses={201: s.CorrectionSerializer, 400: BAD_INPUT, 409: REFUSED},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="correction-request",
        permission_classes=[Authenticated, TokenScope, IsStaff],
    )
    def correction_request(self, request, pk=None):
        application = self._application("projects.request_correction")
        data = self.given(s.CorrectionRequestInputSerializer)
        return self.perform(
            lambda: corrections.request_correction(
                application,
                by=request.user,
                parts=[(part["kind"], part.get("target", "")) for part in data["parts"]],
                message=data["message"],
                deadline=data["deadline"],
            ),
            lambda asked: s.CorrectionSerializer(asked).data,
            code=status.HTTP_201_CREATED,
        )

    @extend_schema(
        summary="The open correction request: its message, deadline and parts, each corrected or not",
        responses={200: s.CorrectionSerializer},
    )
    @action(detail=True, methods=["get"])
    def correction(self, request, pk=None):
        # Opened lazily, as on the page: a request past its deadline returns to staff first.
        application = corrections.return_if_overdue(self._application())
        asked = corrections.open_request(application)
        if asked is None:
            raise NotFound(_("No correction is requested for this application."))
        return Response(s.CorrectionSerializer(asked).data)

    @extend_schema(
        summary="Correct the funding plan a correction request names (applicant); the old plan is kept",
        request=s.FundingPlanCorrectionSerializer,
        responses={200: s.ApplicationDetailSerializer, 400: BAD_INPUT, 409: REFUSED},
    )
    @action(detail=True, methods=["post"], url_path="correction/funding-plan")
    def correct_funding_plan(self, request, pk=None):
        application = self._application("projects.change_application")
        values = self.given(s.FundingPlanCorrectionSerializer)
        return self.perform(
            lambda: corrections.correct_funding_plan(application, values, by=request.user), _detail
        )

    @extend_schema(
        summary="Correct the answers a correction request names (applicant); the old answers are kept",
        request=s.AnswersCorrectionSerializer,
        responses={200: s.ApplicationDetailSerializer, 400: BAD_INPUT, 409: REFUSED},
    )
    @action(detail=True, methods=["post"], url_path="correction/answers")
    def correct_answers(self, request, pk=None):
        application = self._application("projects.change_application")
        values = self._answers(application, self.given(s.AnswersCorrectionSerializer)["answers"])
        return self.perform(
            lambda: corrections.correct_answers(application, values, by=request.user),
            lambda _revisions: _detail(Application.objects.get(pk=application.pk)),
        )

    @extend_schema(
        summary="Resubmit the corrected application (applicant), before the correction deadline",
        request=None,
        responses={200: s.ApplicationDetailSerializer, 409: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def resubmit(self, request, pk=None):
        application = self._application("projects.change_application")
        return self.perform(lambda: corrections.resubmit(application, by=request.user), _detail)

    # --- Outcomes: the selected lead accepts or declines; an applicant objects ---------------------

    @extend_schema(
        summary="Accept the award (the selected applicant)",
        request=None,
        responses={200: s.ApplicationDetailSerializer, 409: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        application = self._application("projects.change_application")
        return self.perform(lambda: ledger.accept_selection(application, by=request.user), _detail)

    @extend_schema(
        summary="Decline the award (the selected applicant); the next in line may take the place",
        request=s.DeclineSerializer,
        responses={200: s.ApplicationDetailSerializer, 400: BAD_INPUT, 409: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        application = self._application("projects.change_application")
        reason = self.given(s.DeclineSerializer).get("reason", "")
        return self.perform(
            lambda: selection_runs.decline(application, by=request.user, reason=reason),
            lambda _declined: _detail(Application.objects.get(pk=application.pk)),
        )

    @extend_schema(
        summary="The application's objections",
        methods=["GET"],
        responses={200: s.ObjectionSerializer(many=True)},
    )
    @extend_schema(
        summary="Object to the outcome (applicant), within the objection period",
        methods=["POST"],
        request=s.ObjectionFileSerializer,
        responses={201: s.ObjectionSerializer, 400: BAD_INPUT, 409: REFUSED},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def objections(self, request, pk=None):
        if request.method == "GET":
            application = self._application()
            filed = application.objections.select_related("application").order_by("filed_at", "pk")
            return Response(s.ObjectionSerializer(filed, many=True).data)
        application = self._application("projects.change_application")
        grounds = self.given(s.ObjectionFileSerializer)["grounds"]
        return self.perform(
            lambda: objections.file_objection(application, by=request.user, grounds=grounds),
            lambda filed: s.ObjectionSerializer(filed).data,
            code=status.HTTP_201_CREATED,
        )


def _detail(application):
    return s.ApplicationDetailSerializer(application).data


# --- Consortium requests: a member organisation's people consent ----------------------------------


@extend_schema_view(
    list=extend_schema(summary="Places in consortia offered to your organisations, not yet answered"),
)
class ConsortiumRequestViewSet(DomainActions, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ConsortiumMemberSerializer
    permission_classes = [Authenticated, TokenScope]
    queryset = ConsortiumMember.objects.none()  # the schema's id type; get_queryset says which
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        return identity.consortium_requests(self.request.user)

    @extend_schema(
        summary="Accept or decline a place in a consortium (a member of the proposed organisation)",
        request=s.ConsortiumAnswerSerializer,
        responses={200: s.ConsortiumMemberSerializer, 400: BAD_INPUT, 409: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        # Any of the organisation's places still proposed, answered or not (a second answer is
        # a 409, as on the page); another organisation's, or one the lead withdrew, is a 404.
        member = get_object_or_404(identity.consortium_places(request.user), pk=pk)
        data = self.given(s.ConsortiumAnswerSerializer)
        return self.perform(
            lambda: identity.respond_to_consortium(
                member, by=request.user, accept=data["accept"], reason=data.get("reason", "")
            ),
            lambda answered: s.ConsortiumMemberSerializer(answered).data,
        )


# --- Objections (staff decide) -----------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Objections, those to decide first (staff)"),
    retrieve=extend_schema(summary="One objection (staff)"),
)
class ObjectionViewSet(DomainActions, viewsets.ReadOnlyModelViewSet):
    serializer_class = s.ObjectionSerializer
    permission_classes = [Authenticated, TokenScope, IsStaff]
    lookup_value_regex = r"[0-9]{1,18}"

    def get_queryset(self):
        return Objection.objects.select_related("application").order_by("state", "filed_at", "pk")

    @extend_schema(
        summary="Decide an objection (staff): uphold or dismiss, with a written decision",
        request=s.ObjectionDecisionSerializer,
        responses={200: s.ObjectionSerializer, 400: BAD_INPUT, 409: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        objection = self.get_object()
        data = self.given(s.ObjectionDecisionSerializer)
        return self.perform(
            lambda: objections.decide_objection(
                objection, by=request.user, uphold=data["uphold"], decision=data["decision"]
            ),
            lambda decided: s.ObjectionSerializer(decided).data,
        )


# --- Reviews (reviewers score their assignments) ------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Your active review assignments (reviewers)"),
    retrieve=extend_schema(summary="One of your assignments, with its criteria and your scores"),
)
class ReviewViewSet(DomainActions, viewsets.ReadOnlyModelViewSet):
    permission_classes = [Authenticated, TokenScope]
    queryset = Assignment.objects.none()  # the schema's id type; get_queryset says which
    lookup_value_regex = r"[0-9]{1,18}"

    def get_serializer_class(self):
        return s.ReviewAssignmentSerializer if self.action == "list" else s.ReviewDetailSerializer

    def get_queryset(self):
        # The review page's rule: the caller's own active assignments only (others: 404).
        reviewer = reviewing.reviewer_of(self.request.user)
        if reviewer is None:
            return Assignment.objects.none()
        return (
            Assignment.objects.filter(reviewer=reviewer, state=Assignment.State.ACTIVE)
            .select_related("application__call", "review")
            .prefetch_related("review__scores")
            .annotate(
                pledge_signed=Exists(
                    Pledge.objects.filter(
                        reviewer_id=OuterRef("reviewer_id"), call_id=OuterRef("application__call_id")
                    )
                ),
                no_conflict_declared=Exists(
                    NoConflictDeclaration.objects.filter(assignment_id=OuterRef("pk"))
                ),
            )
            .order_by("application__reference", "pk")
        )

    # --- Before the first score, as on the review page (evaluation.pledges): the pledge for the
    # call, the declaration of no conflict with the application, or a conflict declared (recusal).

    @extend_schema(
        summary="The integrity and confidentiality pledge of the assignment's call, and your signature",
        methods=["GET"],
        responses={200: s.PledgeSerializer},
    )
    @extend_schema(
        summary="Sign the pledge for the assignment's call (reviewers): once per call, before any score",
        methods=["POST"],
        request=s.PledgeSignSerializer,
        responses={200: s.PledgeSerializer, 400: BAD_INPUT, 409: REFUSED},
    )
    @action(detail=True, methods=["get", "post"])
    def pledge(self, request, pk=None):
        assignment = self.get_object()
        if request.method == "POST":
            data = self.given(s.PledgeSignSerializer)
            return self.perform(
                lambda: pledges.sign_pledge(
                    assignment,
                    by=request.user,
                    agreed=data["agreed"],
                    name=data["name"],
                    ip_address=request.META.get("REMOTE_ADDR") or None,
                ),
                lambda signed: _pledge(assignment, signed),
            )
        return Response(
            _pledge(assignment, pledges.signed_pledge(assignment.reviewer_id, assignment.application.call_id))
        )

    @extend_schema(
        summary="Declare no conflict of interest with the assignment's application (reviewers)",
        request=None,
        responses={200: s.NoConflictSerializer, 409: REFUSED},
    )
    @action(detail=True, methods=["post"], url_path="no-conflict")
    def no_conflict(self, request, pk=None):
        assignment = self.get_object()
        return self.perform(
            lambda: pledges.declare_no_conflict(
                assignment, by=request.user, ip_address=request.META.get("REMOTE_ADDR") or None
            ),
            lambda declared: (
                s.NoConflictSerializer(
                    {"assignment": assignment.pk, "declared_at": declared.declared_at}
                ).data
            ),
        )

    @extend_schema(
        summary="Declare a conflict of interest and recuse yourself (reviewers); another reviewer is assigned",
        request=s.ConflictInputSerializer,
        responses={200: s.RecusedSerializer, 400: BAD_INPUT, 409: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def conflict(self, request, pk=None):
        assignment = self.get_object()
        reason = self.given(s.ConflictInputSerializer)["reason"]
        return self.perform(
            lambda: reviewing.recuse(assignment, by=request.user, reason=reason),
            lambda replacement: (
                s.RecusedSerializer(
                    {
                        "recused": True,
                        "replaced": replacement is not None,
                        "message": _("You recused yourself; another reviewer has been assigned.")
                        if replacement is not None
                        else _("You recused yourself. The ministry will assign another reviewer."),
                    }
                ).data
            ),
        )

    @extend_schema(
        summary="Save your scores (reviewers); submit to lock the review",
        request=s.ReviewInputSerializer,
        responses={200: s.ReviewDetailSerializer, 400: BAD_INPUT, 409: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def scores(self, request, pk=None):
        assignment = self.get_object()
        data = self.given(s.ReviewInputSerializer)
        criteria = {criterion.pk: criterion for criterion in Criterion.objects.for_assignment(assignment)}
        unknown = [entry["criterion"] for entry in data["scores"] if entry["criterion"] not in criteria]
        if unknown:
            raise ValidationError(
                {
                    "scores": [
                        _("This review has no criterion %(ids)s.") % {"ids": ", ".join(map(str, unknown))}
                    ]
                }
            )
        entries = {
            criteria[entry["criterion"]]: (entry["points"], entry.get("comment", ""))
            for entry in data["scores"]
        }
        return self.perform(
            lambda: reviewing.save_review(
                assignment, entries, by=request.user, comment=data.get("comment", ""), submit=data["submit"]
            ),
            lambda _review: s.ReviewDetailSerializer(self.get_queryset().get(pk=assignment.pk)).data,
        )


def _pledge(assignment, signed):
    """The pledge of ``assignment``'s call as the API reads it: the current text, the signature."""
    text = pledges.current_text()
    return s.PledgeSerializer(
        {
            "call": assignment.application.call.slug,
            "version": text.version,
            "text": text.display_body,
            "signed": signed is not None,
            "signed_version": signed.text.version if signed is not None else None,
            "signed_name": signed.signed_name if signed is not None else "",
            "signed_at": signed.signed_at if signed is not None else None,
        }
    ).data


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
