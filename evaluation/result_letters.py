"""Result letters (DESIGN.md §2 "Result letter"): what each applicant learns once results are
published: its outcome, its score per stage (and the final score as the call forms it), its rank
band in its field, the committee's comments without names (as the call allows) and the margin in
plain words.

``letter_for`` is the one function that states a letter's facts, read from the recorded runs (the
latest confirmed selection run's results, the confirmed advancement runs' results) and never
recomputed from the reviews; the application page, the printable letter and the e-mail render it.
"""

import hashlib
import math
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Min, Q, Sum
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import get_language, gettext

from competitions.formatting import format_krw
from projects.models import ApplicationState
from projects.models.application import holds_place

from .models import AdvancementResult, EvaluationPlan, FinalScore, LetterComments, Review, SelectionResult
from .selection import REASON_LABELS, Outcome, Reason
from .selection_runs import latest_confirmed_run
from .stage_runs import stages_of
from .stages import Reason as StageReason

# The rank bands, once: each band's bound in percent. An application is in the first band whose
# places (the bound's share of the applications ranked in its field, rounded up, as advancement
# rounds a multiple up) reach its position: 1st of 1 or of 5 is in the top 10 %, 2nd of 10 is not.
RANK_BANDS = (10, 25, 50, 100)


def rank_band(position, ranked):
    """ "top 10 %", "11–25 %", … for the ``position``-th of ``ranked`` (1-based) in its field."""
    if not position or not ranked or position > ranked:
        return ""
    lower = 0
    for upper in RANK_BANDS:
        if position <= math.ceil(upper * ranked / 100):
            if lower == 0:
                return gettext("top %(upper)d %%") % {"upper": upper}
            return gettext("%(lower)d–%(upper)d %%") % {"lower": lower + 1, "upper": upper}
        lower = upper
    return ""  # unreachable: the last band is 100


def points(value):
    """A score as the letters state it: two decimals ("81.20")."""
    return f"{Decimal(value).quantize(Decimal('0.01'))}"


def ordinal(number):
    """12 → "12th" in English, "12위" in Korean."""
    if (get_language() or "").startswith("ko"):
        return f"{number}위"
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


@dataclass(frozen=True)
class StageLine:
    name: str
    score: Decimal | None
    weight: Decimal | None  # the stage's weight in a weighted final score
    comments: list = field(default_factory=list)

    @property
    def weight_text(self):
        return "" if self.weight is None else f"{Decimal(self.weight).normalize():f}"


@dataclass(frozen=True)
class Letter:
    application: object
    outcome: str  # ApplicationState value: the outcome told
    outcome_label: str
    stages: list  # of StageLine, in the order the application went through them
    weighted: bool  # the final score is the weighted sum of the stage scores
    final_score: Decimal | None  # before bonus
    bonus: Decimal | None
    total: Decimal | None  # final score + bonus: what the ranking used
    rank_band: str
    margin: str  # the margin in plain words (one or more sentences)

    @property
    def weights_text(self):
        """The stage weights as the call states them: "30:70"."""
        return ":".join(line.weight_text for line in self.stages if line.weight is not None)


def letter_for(application):
    """The application's result letter, or None while its result is not published."""
    if not application.result_published:
        return None
    return letter_facts(application)


def letter_facts(application):
    """The letter's facts from the recorded runs (staff preview it before publication); None when
    no confirmed run tells this application's result."""
    call = application.call
    plan = EvaluationPlan.objects.filter(call=call).first()
    if plan is None:
        return None
    stages = stages_of(plan)
    advancement = _advancement_results(application)
    eliminated = None
    if application.state == ApplicationState.ELIMINATED:
        eliminated = next((r for r in reversed(advancement) if r.outcome == "eliminated"), None)
    run = latest_confirmed_run(call)
    row = None
    if eliminated is None and run is not None:
        row = SelectionResult.objects.filter(run=run, application=application).first()
    if eliminated is None and row is None:
        return None
    comments = _comments(application, plan, stages)
    weighted = bool(stages) and plan.final_score == FinalScore.WEIGHTED
    lines = [
        StageLine(
            r.run.stage.display_name,
            r.stage_score,
            r.run.stage.weight if weighted else None,
            comments.get(r.run.stage_id, []),
        )
        for r in advancement
    ]
    if eliminated is not None:
        return Letter(
            application=application,
            outcome=ApplicationState.ELIMINATED,
            outcome_label=str(ApplicationState.ELIMINATED.label),
            stages=lines,
            weighted=weighted,
            final_score=None,
            bonus=None,
            total=None,
            rank_band=_advancement_band(eliminated),
            margin=elimination_margin(eliminated),
        )
    if stages:
        last = stages[-1]
        score = row.stage_score if row.stage_score is not None or weighted else row.evaluation_score
        lines.append(
            StageLine(last.display_name, score, last.weight if weighted else None, comments.get(last.pk, []))
        )
        cutoff = last.cutoff
    else:
        lines.append(StageLine(gettext("Evaluation"), row.evaluation_score, None, comments.get(None, [])))
        score = row.evaluation_score
        cutoff = Decimal(run.parameters.get("cutoff", plan.cutoff))
    facts = _run_facts(run, row, application)
    outcome = (
        application.state if application.state != ApplicationState.AWARDED else ApplicationState.SELECTED
    )
    return Letter(
        application=application,
        outcome=outcome,
        outcome_label=str(ApplicationState(outcome).label),
        stages=lines,
        weighted=weighted,
        final_score=row.evaluation_score,
        bonus=row.bonus,
        total=row.final_score,
        rank_band=rank_band(facts["field_position"], facts["field_ranked"]) if row.rank else "",
        margin=_selection_margin(application, row, facts, score, cutoff, run),
    )


def _advancement_results(application):
    """Its result in each stage's latest confirmed advancement run, in stage order."""
    latest = {}
    for result in (
        AdvancementResult.objects.filter(application=application, run__confirmed_at__isnull=False)
        .select_related("run__stage")
        .order_by("run__stage__position", "run__number")
    ):
        latest[result.run.stage_id] = result  # a later run replaces an earlier one
    return list(latest.values())


def _same_field(application, prefix="application__"):
    if application.service_field_id is None:
        return Q(**{f"{prefix}service_field__isnull": True})
    return Q(**{f"{prefix}service_field_id": application.service_field_id})


def _advancement_band(result):
    if result.field_rank is None:
        return ""
    ranked = AdvancementResult.objects.filter(
        Q(run_id=result.run_id, field_rank__isnull=False) & _same_field(result.application)
    ).count()
    return rank_band(result.field_rank, ranked)


def elimination_margin(result, ranked=None):
    """Why ``result`` (an eliminated AdvancementResult) was eliminated, with its margin, in plain
    words: the one wording, for the letter and the notice sent when the run is confirmed.
    ``ranked``: how many of its field the run ranked, when already counted (else one query)."""
    stage = result.run.stage.display_name
    if result.reason == StageReason.NO_SHOW:
        return gettext("Eliminated at %(stage)s: the applicant did not attend its scheduled slot.") % {
            "stage": stage
        }
    if result.reason == StageReason.BELOW_CUTOFF:
        cutoff = Decimal(result.run.parameters.get("cutoff", result.run.stage.cutoff))
        if result.stage_score is not None and result.stage_score >= cutoff:
            return gettext(
                "Eliminated at %(stage)s: a criterion's score was %(margin)s points below its minimum."
            ) % {"stage": stage, "margin": points(result.margin)}
        return gettext("Eliminated at %(stage)s: %(margin)s points below the cutoff (%(cutoff)s).") % {
            "stage": stage,
            "margin": points(result.margin),
            "cutoff": points(cutoff),
        }
    if ranked is None:
        ranked = AdvancementResult.objects.filter(
            Q(run_id=result.run_id, field_rank__isnull=False) & _same_field(result.application)
        ).count()
    if not result.field_advancing:
        return gettext("Eliminated at %(stage)s: %(position)s of %(ranked)d in the field; none advanced.") % {
            "stage": stage,
            "position": ordinal(result.field_rank),
            "ranked": ranked,
        }
    return gettext(
        "Eliminated at %(stage)s: %(position)s of %(ranked)d in the field, the first %(advancing)d "
        "advanced; the last advancing scored %(last)s."
    ) % {
        "stage": stage,
        "position": ordinal(result.field_rank),
        "ranked": ranked,
        "advancing": result.field_advancing,
        "last": points(result.last_advancing_score),
    }


def _run_facts(run, row, application):
    """The figures of the run around this result, in one query: its place among the selected, in
    its field's ranking and among its field's reserves; the places taken ahead of it in its field,
    its track and the call; the last selected score ahead of it; the budget used ahead of it."""
    rank = row.rank or 0
    selected = Q(outcome=Outcome.SELECTED)
    ahead = Q(rank__lt=rank)
    field = _same_field(application)
    track = Q(application__track_id=application.track_id)
    return SelectionResult.objects.filter(run=run).aggregate(
        selected=Count("pk", filter=selected),
        selected_position=Count("pk", filter=selected & Q(rank__lte=rank)),
        field_ranked=Count("pk", filter=field & Q(rank__isnull=False)),
        field_position=Count("pk", filter=field & Q(rank__lte=rank)),
        reserve_position=Count("pk", filter=field & Q(outcome=Outcome.RESERVE, rank__lte=rank)),
        field_taken=Count("pk", filter=field & selected & ahead),
        track_taken=Count("pk", filter=track & selected & ahead),
        call_taken=Count("pk", filter=selected & ahead),
        field_last=Min("final_score", filter=field & selected & ahead),
        call_last=Min("final_score", filter=selected & ahead),
        budget_used=Sum("requested_subsidy", filter=selected & ahead),
    )


def _selection_margin(application, row, facts, score, cutoff, run):
    """The margin of a selection result in plain words, sentence by sentence."""
    if row.reason == Reason.BELOW_CUTOFF:
        if score is not None and score >= cutoff:
            return gettext("A criterion's score was below its minimum, so the application was not ranked.")
        if score is None:
            return gettext("The application could not be scored, so it was not ranked.")
        return gettext("%(margin)s points below the cutoff (%(cutoff)s).") % {
            "margin": points(cutoff - score),
            "cutoff": points(cutoff),
        }
    if row.reason == Reason.INELIGIBLE_REQUEST:
        return str(REASON_LABELS[Reason.INELIGIBLE_REQUEST]) + "."
    if row.outcome == Outcome.SELECTED:
        sentence = gettext("Selected: %(position)s of %(count)d selected.") % {
            "position": ordinal(facts["selected_position"]),
            "count": facts["selected"],
        }
        if application.state == ApplicationState.DECLINED:
            sentence += " " + gettext("The selection was then declined.")
        return sentence
    parts = [_skipped(row, facts, run)]
    if row.outcome == Outcome.RESERVE:
        parts.append(gettext("Reserve no. %(number)d.") % {"number": facts["reserve_position"]})
        if holds_place(application.state):
            parts.append(gettext("Selected from the reserve list after a selected applicant declined."))
    last = facts["field_last"] if row.reason == Reason.FIELD_QUOTA_FULL else facts["call_last"]
    if last is not None:
        parts.append(gettext("The last selected scored %(score)s.") % {"score": points(last)})
    return " ".join(parts)


def _skipped(row, facts, run):
    """Why the walk passed it by: the first constraint that failed, with its figures."""
    if row.reason == Reason.FIELD_QUOTA_FULL:
        return gettext("The field's %(places)d places went to higher scores.") % {
            "places": facts["field_taken"]
        }
    if row.reason == Reason.TRACK_QUOTA_FULL:
        return gettext("The track's %(places)d places went to higher scores.") % {
            "places": facts["track_taken"]
        }
    if row.reason == Reason.CALL_QUOTA_FULL:
        return gettext("The call's %(places)d places went to higher scores.") % {
            "places": facts["call_taken"]
        }
    if row.reason == Reason.BUDGET_EXHAUSTED:
        budget = run.parameters.get("budget", run.call.budget_total)
        return gettext("The remaining budget (%(remaining)s) did not cover the request (%(requested)s).") % {
            "remaining": format_krw(budget - (facts["budget_used"] or 0)),
            "requested": format_krw(row.requested_subsidy),
        }
    return str(REASON_LABELS.get(row.reason, row.reason)) + "."


def _comments(application, plan, stages):
    """{stage id (None for a plan without stages): the overall comments of its counted reviews}
    for the stages whose setting shows them: text only, in an order shuffled by a hash of the
    application and the review (stable, and telling nothing of who reviewed first)."""
    shown = {
        stage.pk: (stage.letter_comments or plan.letter_comments) == LetterComments.ANONYMISED
        for stage in stages
    }
    if not stages:
        shown[None] = plan.letter_comments == LetterComments.ANONYMISED
    if not any(shown.values()):
        return {}
    comments = {}
    rows = (
        Review.objects.counted()
        .filter(application=application)
        .exclude(comment="")
        .values_list(
            "pk",
            "assignment__stage_id",
            "comment",
            "assignment__reviewer__code",
            "assignment__reviewer__user__email",
            "assignment__reviewer__user__first_name",
            "assignment__reviewer__user__last_name",
        )
    )
    for _pk, stage_id, comment, *identity in sorted(rows, key=lambda r: _shuffle_key(application.pk, r[0])):
        if shown.get(stage_id):
            comments.setdefault(stage_id, []).append(_without_names(comment, identity))
    return comments


def _without_names(comment, identity):
    """The comment with its reviewer's code, address and names (a signature) blanked out."""
    for word in sorted(filter(None, identity), key=len, reverse=True):
        comment = comment.replace(word, "○○○")
    return comment.strip()


def _shuffle_key(application_id, review_id):
    return hashlib.sha256(f"letter:{application_id}:{review_id}".encode("ascii")).hexdigest()


# -- Sending ------------------------------------------------------------------------------------


def letter_text(application, language):
    """The plain-text letter in ``language`` for the e-mail; empty when there is none."""
    with translation.override(language):
        letter = letter_for(application)
        if letter is None:
            return ""
        return render_to_string("evaluation/result_letter.txt", {"letter": letter}).strip()
