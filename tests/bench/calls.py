"""The call the benchmarks fill: a copy of the demo's stage-less pilot call with the 2022 pilot
call's reception window (closed), in evaluation.

The demo now walks ``pilot-city-2022`` itself through its staged evaluation (two stages, a panel
per stage, results published), so the benchmarks no longer fill that call: they measure the
single-stage plan DESIGN.md §5's budgets are stated for, on a call of their own.
"""

BENCH_SLUG = "bench-2022"


def bench_call():
    from competitions.call_copy import copy_call
    from competitions.models import Call, CallState
    from evaluation.generate import system_user

    pilot = Call.objects.get(slug="pilot-city-2022")
    call = copy_call(
        Call.objects.get(slug="pilot-city-demo"),
        slug=BENCH_SLUG,
        title="Benchmark call (a copy of the 2022 pilot call)",
        opens_at=pilot.opens_at,
        closes_at=pilot.closes_at,
        by=system_user(),
        reference_prefix="BENCH",
    )
    # Benchmark set-up, not a product path: the copy is a draft; the measured steps need a call
    # whose reception is over and whose evaluation has begun.
    Call.objects.filter(pk=call.pk).update(state=CallState.EVALUATION)
    return Call.objects.get(pk=call.pk)
