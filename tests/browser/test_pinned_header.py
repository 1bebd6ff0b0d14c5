"""KRDS pins its header to the top of the window once the page is scrolled. The page under it must
not jump when that happens (a click in flight would land on something else: journeys in CI
waited for pages that a click on a moving target never opened), and whoever asks for less
motion gets the header's moves at once, without the 0.4 s slide."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SHORT = {"width": 1280, "height": 500}


def _top_of(page, selector):
    """Where the element is in the document (not in the window): unchanged by scrolling alone."""
    return page.evaluate(
        "(selector) => document.querySelector(selector).getBoundingClientRect().top + window.scrollY",
        selector,
    )


def _pinned(page, state):
    page.wait_for_function(
        "(state) => state ? document.getElementById('wrap').classList.contains(state)"
        " : !/scroll/.test(document.getElementById('wrap').className)",
        arg=state,
        timeout=5_000,
    )


def test_the_page_stays_in_place_when_the_header_is_pinned_and_let_go(demo, new_page, lang):
    page = new_page()
    page.set_viewport_size(SHORT)
    page.goto("/calls/pilot-city-demo/")
    assert page.evaluate("() => document.documentElement.scrollHeight") > SHORT["height"] + 700, (
        "the call page is too short to scroll the header away"
    )
    heading, footer = _top_of(page, "main h1"), _top_of(page, "footer")
    pinned_height = page.evaluate("() => document.querySelector('#krds-header .header-in').offsetHeight")
    assert pinned_height > 40

    page.mouse.move(640, 300)
    page.mouse.wheel(0, 600)  # down: KRDS pins the header and slides it away
    _pinned(page, "scroll-down")
    assert page.evaluate(
        "() => getComputedStyle(document.querySelector('#krds-header .header-in')).position"
    ) == ("fixed")
    assert abs(_top_of(page, "main h1") - heading) <= 1
    assert abs(_top_of(page, "footer") - footer) <= 1

    page.mouse.wheel(0, -200)  # up a little: the header comes back, still pinned
    _pinned(page, "scroll-up")
    assert abs(_top_of(page, "main h1") - heading) <= 1

    page.evaluate("() => window.scrollTo(0, 0)")  # the top: the header is in the flow again
    _pinned(page, None)
    assert abs(_top_of(page, "main h1") - heading) <= 1


def test_with_reduced_motion_the_pinned_header_moves_at_once(demo, new_page, lang):
    page = new_page()  # the journeys' browser asks for reduced motion
    page.set_viewport_size(SHORT)
    page.goto("/calls/pilot-city-demo/")
    page.mouse.move(640, 300)
    page.mouse.wheel(0, 600)
    _pinned(page, "scroll-down")
    duration = "() => getComputedStyle(document.querySelector('#krds-header .header-in')).transitionDuration"
    assert page.evaluate("() => matchMedia('(prefers-reduced-motion: reduce)').matches")
    assert page.evaluate(duration) == "0s"
    page.emulate_media(reduced_motion="no-preference")
    assert page.evaluate(duration) == "0.4s"  # KRDS's slide, for everyone else
