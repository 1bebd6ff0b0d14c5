"""The accessibility check itself finds what it is meant to find (and passes a good page)."""

from .support import A11Y_SCRIPT

GOOD = """<html lang="en"><body><h1>Apply</h1><aside><h2>Help</h2><h3>Fields</h3></aside><h2>Documents</h2>
<label for="kind">Kind</label><select id="kind"><option>Proposal</option></select>
<label>File <input type="file" name="file"></label>
<input type="text" aria-label="Search"><input type="hidden" name="csrf">
<img src="logo.png" alt=""><button type="submit">Upload</button></body></html>"""

BAD = """<html><body><h2>Before the title</h2><h1>Apply</h1><h1>Again</h1><h4>Deep</h4>
<input type="text" name="title"><select name="kind"><option>x</option></select>
<textarea id="notes"></textarea><label for="other">Other</label>
<img src="chart.png"><svg role="img"></svg><button></button><a href="/x"></a>
<p id="same"></p><p id="same"></p><div role="complementary"><h2>Help</h2><h4>Deeper</h4></div>
</body></html>"""


def test_a_good_page_passes(browser):
    page = browser.new_page()
    page.set_content(GOOD)
    assert page.evaluate(A11Y_SCRIPT) == []
    page.close()


def test_a_help_panel_before_the_h1_is_reported(browser):
    page = browser.new_page()
    page.set_content(
        GOOD.replace("<h1>Apply</h1>", "")
        .replace("<body>", "<body><p>x</p>")
        .replace("</aside>", "</aside><h1>Apply</h1>")
    )
    assert page.evaluate(A11Y_SCRIPT) == ["the first heading is h2"]
    page.close()


def test_each_problem_is_reported(browser):
    page = browser.new_page()
    page.set_content(BAD)
    problems = " | ".join(page.evaluate(A11Y_SCRIPT))
    page.close()
    for expected in [
        "unlabelled control <input[name=title]>",
        "unlabelled control <select[name=kind]>",
        "unlabelled control <textarea#notes>",
        "image without alt: chart.png",
        "svg picture without a name",
        "nameless <button>",
        "nameless <a>",
        "2 h1 headings",
        "the first heading is h2",
        "heading skips from h1 to h4",
        "heading skips from h2 to h4",
        "no lang on <html>",
        "duplicate ids: same",
    ]:
        assert expected in problems, f"{expected!r} not in {problems}"


def test_axe_reports_a_serious_violation_readably(browser):
    """axe-core (from node_modules) runs in the page and its report names the rule and element."""
    from .support import FAILING_IMPACTS, axe_report, axe_violations

    page = browser.new_page()
    page.set_content(
        '<html lang="en"><head><title>t</title></head><body><main><h1>Apply</h1>'
        '<p style="color:#bbb;background:#fff">Low contrast text</p><ul role="alert"><li>x</li></ul>'
        "</main></body></html>"
    )
    failing = [v for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS]
    report = axe_report("about:blank", failing)
    page.close()
    ids = {v["id"] for v in failing}
    assert {"color-contrast", "aria-allowed-role"} & ids, report
    assert "color-contrast" in report and "p" in report


def test_axe_passes_a_good_page(browser):
    from .support import FAILING_IMPACTS, axe_violations

    page = browser.new_page()
    page.set_content(
        GOOD.replace("<body>", "<head><title>Apply</title></head><body><main>").replace(
            "</body>", "</main></body>"
        )
    )
    assert [v for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS] == []
    page.close()
