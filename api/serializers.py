"""What the API reads and writes. Output serializers describe the objects; input serializers
only shape the request: every rule is checked by the same forms and domain functions as the
pages (projects.forms, projects.workflow, competitions.questions)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from competitions.models import Call, ServiceField, Track
from competitions.models.document_kind import DocumentKind
from evaluation.models import Assignment, Criterion, Objection, SelectionRun
from projects.models import (
    Application,
    ConsortiumMember,
    CorrectionItem,
    CorrectionItemKind,
    CorrectionRequest,
    DisbursementEntry,
    Document,
    Expenditure,
    Organisation,
    Project,
    Settlement,
)

# Ids and won as the database holds them (a 64-bit integer): anything larger is refused as bad
# input instead of overflowing the driver.
MAX_ID = 2**63 - 1
MAX_WON = 2**63 - 1


def _id(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


def _won(**kwargs):
    return serializers.IntegerField(min_value=0, max_value=MAX_WON, **kwargs)


# --- Calls (public) ----------------------------------------------------------------------------


class TrackSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = Track
        fields = ["id", "name", "max_awards", "subsidy_cap", "living_lab"]


class ServiceFieldSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = ServiceField
        fields = ["id", "name", "max_awards"]


class CallSerializer(serializers.ModelSerializer):
    title = serializers.CharField(source="display_title", read_only=True)
    tracks = TrackSerializer(many=True, read_only=True)
    service_fields = ServiceFieldSerializer(many=True, read_only=True)

    class Meta:
        model = Call
        fields = [
            "slug",
            "title",
            "state",
            "opens_at",
            "closes_at",
            "budget_total",
            "max_awards",
            "subsidy_min",
            "subsidy_max",
            "one_application_per_lead",
            "blind_review",
            "tracks",
            "service_fields",
        ]


# --- Organisations and applications (applicants, staff) --------------------------------------


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = [
            "id",
            "name",
            "registration_number",
            "kind",
            "size_class",
            "size_class_reason",
            "verified_at",
        ]


class DocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Document
        fields = ["id", "kind", "original_name", "file_format", "size", "uploaded_at"]


class AnswerSerializer(serializers.Serializer):
    question = serializers.CharField(help_text=_("The question's code."))
    label = serializers.CharField()
    kind = serializers.CharField()
    required = serializers.BooleanField()
    text = serializers.CharField(help_text=_("The answer as people read it; empty when unanswered."))
    document = DocumentSerializer(allow_null=True)


class RuleResultSerializer(serializers.Serializer):
    label = serializers.CharField()
    passed = serializers.BooleanField()
    reason = serializers.CharField()


class ApplicationSerializer(serializers.ModelSerializer):
    call = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    lead = serializers.PrimaryKeyRelatedField(read_only=True)
    status = serializers.CharField(source="applicant_label", read_only=True)

    class Meta:
        model = Application
        fields = [
            "id",
            "call",
            "lead",
            "track",
            "service_field",
            "title",
            "reference",
            "state",
            "status",
            "submitted_at",
            "requested_subsidy",
            "local_government",
            "private_cash",
            "private_in_kind",
            "decision_reason",
            "version",
            "updated_at",
        ]
        read_only_fields = fields


class ApplicationDetailSerializer(ApplicationSerializer):
    answers = serializers.SerializerMethodField()
    documents = serializers.SerializerMethodField()
    self_check = serializers.SerializerMethodField()

    class Meta(ApplicationSerializer.Meta):
        fields = [
            *ApplicationSerializer.Meta.fields,
            "summary",
            "test_bed_region",
            "test_bed_district",
            "smart_services",
            "technology_fields",
            "service_types",
            "answers",
            "documents",
            "self_check",
        ]
        read_only_fields = fields

    def get_answers(self, application) -> AnswerSerializer(many=True):
        from projects.answers import answer_sections

        rows = [
            {
                "question": row.question.code,
                "label": row.question.display_label,
                "kind": row.question.kind,
                "required": row.question.required,
                "text": str(row.text or ""),
                "document": row.document,
            }
            for section in answer_sections(application)
            for row in section.rows
        ]
        return AnswerSerializer(rows, many=True).data

    def get_documents(self, application) -> DocumentSerializer(many=True):
        return DocumentSerializer(
            application.documents.filter(superseded=False).order_by("pk"), many=True
        ).data

    def get_self_check(self, application) -> RuleResultSerializer(many=True):
        from projects.eligibility_check import check_eligibility

        return RuleResultSerializer(
            [
                {"label": str(r.label), "passed": r.passed, "reason": str(r.reason or "")}
                for r in check_eligibility(application)
            ],
            many=True,
        ).data


class ApplicationStartSerializer(serializers.Serializer):
    call = serializers.SlugField(help_text=_("The call's address (slug)."))
    lead = _id(help_text=_("The id of your organisation that leads the application."))
    track = _id()
    service_field = _id(required=False, allow_null=True)
    title = serializers.CharField(max_length=300)


class ApplicationChangeSerializer(serializers.Serializer):
    """A draft's changes: only the fields given change. ``version`` is the draft's version as
    last read; a draft changed since answers 409."""

    version = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    title = serializers.CharField(max_length=300, required=False)
    summary = serializers.CharField(required=False, allow_blank=True)
    track = _id(required=False)
    service_field = _id(required=False, allow_null=True)
    test_bed_region = _id(required=False, allow_null=True)
    test_bed_district = _id(required=False, allow_null=True)
    smart_services = serializers.ListField(child=_id(), required=False, max_length=100)
    technology_fields = serializers.ListField(child=_id(), required=False, max_length=100)
    service_types = serializers.ListField(child=_id(), required=False, max_length=100)
    requested_subsidy = _won(required=False)
    local_government = _won(required=False)
    private_cash = _won(required=False)
    private_in_kind = _won(required=False)
    answers = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text=_(
            "Answers to the call's questions by question code: text, a number as text, a date "
            "(YYYY-MM-DD), a choice's code, a list of choice codes, or yes/no. Files: the documents call."
        ),
    )


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    kind = serializers.ChoiceField(choices=DocumentKind.choices, required=False)
    question = serializers.CharField(
        required=False, help_text=_("The code of the file question this document answers (instead of kind).")
    )


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class EligibilityDecisionSerializer(serializers.Serializer):
    eligible = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class RefusalSerializer(serializers.Serializer):
    detail = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField(), required=False)


# --- Staff: evaluation and selection ---------------------------------------------------------


class AssignmentSerializer(serializers.ModelSerializer):
    application = serializers.PrimaryKeyRelatedField(read_only=True)
    reference = serializers.CharField(source="application.reference", read_only=True)
    reviewer = serializers.CharField(source="reviewer.code", read_only=True)
    review_state = serializers.SerializerMethodField()

    class Meta:
        model = Assignment
        fields = [
            "id",
            "application",
            "reference",
            "reviewer",
            "stage",
            "round",
            "state",
            "review_state",
            "created_at",
        ]

    def get_review_state(self, assignment) -> str | None:
        review = getattr(assignment, "review", None)
        return review.state if review else None


class AssignRequestSerializer(serializers.Serializer):
    seed = serializers.IntegerField(required=False, default=0, min_value=0, max_value=2**31 - 1)


class AssignResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()


class SelectionResultSerializer(serializers.Serializer):
    application_id = serializers.IntegerField()
    reference = serializers.CharField()
    track_id = serializers.IntegerField()
    field_id = serializers.IntegerField(allow_null=True)
    requested_subsidy = serializers.IntegerField()
    evaluation_score = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    bonus = serializers.DecimalField(max_digits=5, decimal_places=2)
    final_score = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    rank = serializers.IntegerField(allow_null=True)
    outcome = serializers.CharField()
    reason = serializers.CharField()


class SelectionRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = SelectionRun
        fields = ["number", "inputs_hash", "created_at", "confirmed_at", "parameters"]


class ConfirmRunSerializer(serializers.Serializer):
    changes = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("The digest of the changes to published outcomes you accept."),
    )


# --- Auditors: projects and ledgers ----------------------------------------------------------


class ProjectSerializer(serializers.ModelSerializer):
    application = serializers.IntegerField(source="award.application_id", read_only=True)
    reference = serializers.CharField(source="award.application.reference", read_only=True)
    organisation = serializers.CharField(source="award.application.lead.name", read_only=True)
    national_subsidy = serializers.IntegerField(source="award.national_subsidy", read_only=True)
    paid = serializers.IntegerField(read_only=True, help_text=_("Paid, net of reversals (KRW)."))
    recovered = serializers.IntegerField(read_only=True, help_text=_("Recovered, net of reversals (KRW)."))
    approved = serializers.IntegerField(
        read_only=True, help_text=_("Approved spending of the national subsidy (KRW).")
    )

    class Meta:
        model = Project
        fields = [
            "code",
            "application",
            "reference",
            "organisation",
            "state",
            "agreement_signed_on",
            "starts_on",
            "ends_on",
            "payments_halted",
            "national_subsidy",
            "paid",
            "recovered",
            "approved",
        ]


class DisbursementEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = DisbursementEntry
        fields = [
            "id",
            "kind",
            "amount",
            "entry_date",
            "reference",
            "tranche",
            "reverses",
            "note",
            "posted_at",
        ]


class ExpenditureSerializer(serializers.ModelSerializer):
    class Meta:
        model = Expenditure
        fields = [
            "id",
            "share",
            "spent_on",
            "category",
            "amount",
            "description",
            "state",
            "approved_amount",
            "decision_reason",
            "decided_at",
            "corrects",
            "reported_at",
        ]


class SettlementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Settlement
        fields = [
            "id",
            "disbursed",
            "approved_spending",
            "interest_earned",
            "matching_return",
            "to_recover",
            "settled_at",
        ]


class LedgerSerializer(serializers.Serializer):
    project = serializers.CharField()
    disbursements = DisbursementEntrySerializer(many=True)
    expenditures = ExpenditureSerializer(many=True)
    settlements = SettlementSerializer(many=True)


# --- Consortium members (the lead proposes; the member organisation consents) ----------------


class ConsortiumMemberSerializer(serializers.ModelSerializer):
    application = serializers.PrimaryKeyRelatedField(read_only=True)
    organisation = serializers.PrimaryKeyRelatedField(read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    registration_number = serializers.CharField(source="organisation.registration_number", read_only=True)

    class Meta:
        model = ConsortiumMember
        fields = [
            "id",
            "application",
            "organisation",
            "organisation_name",
            "registration_number",
            "budget_share_percent",
            "state",
            "responded_at",
        ]
        read_only_fields = fields


class ConsortiumMemberAddSerializer(serializers.Serializer):
    registration_number = serializers.CharField(
        max_length=20, help_text=_("The member's business registration number (it must be registered).")
    )
    budget_share_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100
    )


class ConsortiumMemberRemoveSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text=_("Why the member is taken off (logged)."),
    )


class ConsortiumAnswerSerializer(serializers.Serializer):
    accept = serializers.BooleanField(help_text=_("true to join the consortium, false to decline."))
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


# --- Corrections (staff ask; the applicant corrects and resubmits) ----------------------------


class CorrectionPartSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CorrectionItemKind.choices)
    target = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text=_("A document kind, or a question's code; empty for the funding plan."),
    )


class CorrectionRequestInputSerializer(serializers.Serializer):
    parts = CorrectionPartSerializer(many=True, max_length=200)
    message = serializers.CharField(max_length=5000, help_text=_("What to correct; the applicant reads it."))
    deadline = serializers.DateTimeField(help_text=_("When corrections close (ISO 8601, with its offset)."))


class CorrectionItemSerializer(serializers.ModelSerializer):
    corrected = serializers.BooleanField(read_only=True)

    class Meta:
        model = CorrectionItem
        fields = ["kind", "target", "label", "corrected", "corrected_at"]
        read_only_fields = fields


class CorrectionSerializer(serializers.ModelSerializer):
    application = serializers.PrimaryKeyRelatedField(read_only=True)
    items = CorrectionItemSerializer(many=True, read_only=True)

    class Meta:
        model = CorrectionRequest
        fields = ["id", "application", "message", "deadline", "status", "requested_at", "closed_at", "items"]
        read_only_fields = fields


class FundingPlanCorrectionSerializer(serializers.Serializer):
    requested_subsidy = _won(required=False)
    local_government = _won(required=False)
    private_cash = _won(required=False)
    private_in_kind = _won(required=False)


class AnswersCorrectionSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.JSONField(),
        help_text=_("The corrected answers by question code, as when changing a draft."),
    )


# --- Outcomes: accepting or declining an award, objections --------------------------------------


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ObjectionFileSerializer(serializers.Serializer):
    grounds = serializers.CharField(max_length=10000)


class ObjectionSerializer(serializers.ModelSerializer):
    application = serializers.PrimaryKeyRelatedField(read_only=True)
    reference = serializers.CharField(source="application.reference", read_only=True)

    class Meta:
        model = Objection
        fields = [
            "id",
            "application",
            "reference",
            "outcome",
            "grounds",
            "filed_at",
            "state",
            "decision",
            "decided_at",
        ]
        read_only_fields = fields


class ObjectionDecisionSerializer(serializers.Serializer):
    uphold = serializers.BooleanField(help_text=_("true to uphold the objection, false to dismiss it."))
    decision = serializers.CharField(
        max_length=10000, help_text=_("The written decision; the applicant reads it.")
    )


# --- Reviews (reviewers) and closing the review (staff) -------------------------------------------


class CriterionSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = Criterion
        fields = ["id", "name", "max_points", "weight"]
        read_only_fields = fields


class ScoreSerializer(serializers.Serializer):
    criterion = _id()
    points = serializers.CharField(
        allow_blank=True, max_length=20, help_text=_("From 0 to the criterion's maximum.")
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class ReviewAssignmentSerializer(serializers.ModelSerializer):
    """A reviewer's assignment: the application by its reference only (a blind review names no
    applicant), the criteria, and the review as saved."""

    reference = serializers.CharField(source="application.reference", read_only=True)
    call = serializers.CharField(source="application.call.slug", read_only=True)
    review_state = serializers.SerializerMethodField()
    comment = serializers.SerializerMethodField()
    scores = serializers.SerializerMethodField()
    # What scoring waits for (evaluation.pledges): read with the assignment (the view annotates).
    pledge_signed = serializers.BooleanField(
        read_only=True,
        help_text=_("Whether you signed the integrity and confidentiality pledge for the call."),
    )
    no_conflict_declared = serializers.BooleanField(
        read_only=True,
        help_text=_("Whether you declared no conflict of interest with this application."),
    )

    class Meta:
        model = Assignment
        fields = [
            "id",
            "reference",
            "call",
            "stage",
            "round",
            "pledge_signed",
            "no_conflict_declared",
            "review_state",
            "comment",
            "scores",
        ]
        read_only_fields = fields

    def _review(self, assignment):
        return getattr(assignment, "review", None)

    def get_review_state(self, assignment) -> str | None:
        review = self._review(assignment)
        return review.state if review else None

    def get_comment(self, assignment) -> str:
        review = self._review(assignment)
        return review.comment if review else ""

    def get_scores(self, assignment) -> ScoreSerializer(many=True):
        review = self._review(assignment)
        scores = review.scores.all() if review else []
        return [
            {
                "criterion": score.criterion_id,
                "points": f"{score.points.normalize():f}",
                "comment": score.comment,
            }
            for score in scores
        ]


class ReviewDetailSerializer(ReviewAssignmentSerializer):
    criteria = serializers.SerializerMethodField()

    class Meta(ReviewAssignmentSerializer.Meta):
        fields = [*ReviewAssignmentSerializer.Meta.fields, "criteria"]
        read_only_fields = fields

    def get_criteria(self, assignment) -> CriterionSerializer(many=True):
        return CriterionSerializer(Criterion.objects.for_assignment(assignment), many=True).data


class ReviewInputSerializer(serializers.Serializer):
    scores = ScoreSerializer(many=True, max_length=200)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    submit = serializers.BooleanField(
        required=False, default=False, help_text=_("true submits the review, which locks it.")
    )


class PledgeSerializer(serializers.Serializer):
    """The integrity and confidentiality pledge of an assignment's call: the text reviewers sign
    now (in the caller's language) and, once signed, the signature."""

    call = serializers.CharField(help_text=_("The call's slug: one pledge per call."))
    version = serializers.IntegerField(help_text=_("The version of the text signed now."))
    text = serializers.CharField()
    signed = serializers.BooleanField()
    signed_version = serializers.IntegerField(
        allow_null=True, help_text=_("The version of the text you signed; null until signed.")
    )
    signed_name = serializers.CharField(allow_blank=True)
    signed_at = serializers.DateTimeField(allow_null=True)


class PledgeSignSerializer(serializers.Serializer):
    agreed = serializers.BooleanField(
        required=False, default=False, help_text=_("true: you agree to the pledge's text.")
    )
    name = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200, help_text=_("Sign with your name.")
    )


class NoConflictSerializer(serializers.Serializer):
    assignment = _id()
    declared_at = serializers.DateTimeField()


class ConflictInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text=_("Briefly, why you have a conflict of interest with the application."),
    )


class RecusedSerializer(serializers.Serializer):
    recused = serializers.BooleanField()
    replaced = serializers.BooleanField(
        help_text=_("Whether another reviewer was assigned; if not, the ministry assigns one.")
    )
    message = serializers.CharField()


class ClosedReviewSerializer(serializers.Serializer):
    scored = serializers.ListField(child=serializers.IntegerField(), help_text=_("Applications scored now."))
    already_scored = serializers.IntegerField()
    lacking = serializers.ListField(
        child=serializers.CharField(), help_text=_("Still under review, each with its reason.")
    )
    message = serializers.CharField()
