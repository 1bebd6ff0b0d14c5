"""What every journey does on every page: check basic accessibility, save a screenshot; and the
few moves people make (log in, reach a control with the keyboard)."""

import time
from pathlib import Path

from django.conf import settings

from .conftest import SCREENSHOTS

# axe-core from npm (package.json, installed by `npm ci`), injected into every page a journey
# visits: served from node_modules, never a CDN, and never by the application itself.
AXE_PATH = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = {"critical", "serious"}
AXE_RUN = """
async (tags) => {
  const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
    nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.join(' '), summary: n.failureSummary })),
    count: v.nodes.length,
  }));
}
"""

# Runs in the page: the problems a person using a screen reader or the keyboard would meet first.
A11Y_SCRIPT = """
() => {
  const problems = [];
  const rendered = (el) => el.getClientRects().length > 0;
  const describe = (el) => {
    const id = el.id ? '#' + el.id : '';
    const name = el.getAttribute('name') ? `[name=${el.getAttribute('name')}]` : '';
    return `<${el.tagName.toLowerCase()}${id}${name}>`;
  };
  const labelledBy = (el) => (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
    .map((id) => document.getElementById(id)).filter((ref) => ref && ref.textContent.trim()).length > 0;
  const named = (el) => (el.getAttribute('aria-label') || '').trim() || labelledBy(el);

  // Every form control has a label: <label for>, a wrapping <label>, aria-label or aria-labelledby.
  const skip = new Set(['hidden', 'submit', 'button', 'reset', 'image']);
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.tagName === 'INPUT' && skip.has(el.type)) continue;
    if (!rendered(el) && el.type !== 'checkbox' && el.type !== 'radio' && el.type !== 'file') continue;
    const labelled = Array.from(el.labels || []).some((label) => label.textContent.trim());
    if (!labelled && !named(el)) problems.push(`unlabelled control ${describe(el)}`);
  }
  // Buttons and links say what they do.
  for (const el of document.querySelectorAll('button, a[href], input[type=submit], input[type=button]')) {
    if (!rendered(el)) continue;
    const text = (el.textContent || el.value || '').trim();
    if (!text && !named(el) && !el.querySelector('img[alt]:not([alt=""])')) {
      problems.push(`nameless ${describe(el)}`);
    }
  }
  // Images have a text alternative (empty for decoration); SVG pictures have a name.
  for (const img of document.querySelectorAll('img')) {
    if (!img.hasAttribute('alt')) problems.push(`image without alt: ${img.getAttribute('src')}`);
  }
  for (const svg of document.querySelectorAll('svg[role=img]')) {
    if (!named(svg) && !svg.querySelector(':scope > title')) problems.push('svg picture without a name');
  }
  // One h1, first (a help panel comes after it in reading order); no level skipped on the way
  // down, in the page as a whole and within each complementary region (a help panel).
  const headingsIn = (root) => Array.from(root.querySelectorAll('h1, h2, h3, h4, h5, h6'))
    .filter((h) => rendered(h) || h.closest('.sr-only'));
  const skips = (headings) => {
    for (let i = 1; i < headings.length; i++) {
      const [before, after] = [Number(headings[i - 1].tagName[1]), Number(headings[i].tagName[1])];
      if (after > before + 1) {
        problems.push(`heading skips from h${before} to h${after}: "${headings[i].textContent.trim()}"`);
      }
    }
  };
  const outline = headingsIn(document);
  const h1s = document.querySelectorAll('h1').length;
  if (h1s !== 1) problems.push(`${h1s} h1 headings`);
  if (outline.length && outline[0].tagName !== 'H1') problems.push(`the first heading is ${outline[0].tagName.toLowerCase()}`);
  skips(outline);
  for (const region of document.querySelectorAll('aside, [role=complementary]')) {
    const inner = headingsIn(region);
    if (inner.some((h) => h.tagName === 'H1')) problems.push('an h1 in a complementary region');
    skips(inner);
  }
  // The page says its language, and ids are unique (labels point at the right control).
  if (!document.documentElement.lang) problems.push('no lang on <html>');
  const ids = Array.from(document.querySelectorAll('[id]')).map((el) => el.id);
  const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (duplicates.length) problems.push(`duplicate ids: ${[...new Set(duplicates)].join(', ')}`);
  return problems;
}
"""


def axe_violations(page):
    """axe-core's WCAG 2.1 A/AA violations on the current page (every impact)."""
    if not AXE_PATH.exists():
        raise AssertionError(f"axe-core is not at {AXE_PATH}: run `npm ci` (make prepare does)")
    # Colours are judged at rest: a panel still fading in (KRDS's help panel) is half transparent.
    page.wait_for_function(
        "() => document.getAnimations().every(a => a.playState !== 'running')", timeout=5_000
    )
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the page's Content-Security-Policy does
        # not govern: a <script> tag would be an inline script the CSP rightly refuses (and the
        # journeys fail on every CSP violation).
        page.evaluate(AXE_PATH.read_text(encoding="utf-8") + "\n;undefined")
    return page.evaluate(AXE_RUN, AXE_TAGS)


def axe_report(url, violations):
    """A readable report: one paragraph per rule, the first elements it found with the reason."""
    lines = [f"axe-core found {len(violations)} critical or serious violation(s) on {url}:"]
    for violation in violations:
        lines.append(
            f"- [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['count']} element(s); {violation['url']})"
        )
        for node in violation["nodes"]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"    {node['target']}: {summary}")
    return "\n".join(lines)


def check_accessibility(page):
    """Fails with every problem found on the current page: our own checks, then axe-core's
    critical and serious violations."""
    problems = page.evaluate(A11Y_SCRIPT)
    assert problems == [], f"accessibility problems on {page.url}: {problems}"
    failing = [v for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS]
    assert failing == [], axe_report(page.url, failing)


class Journey:
    """One person's way through the site, in one language; ``step`` checks and photographs a page."""

    def __init__(self, page, lang, name):
        self.page = page
        self.lang = lang
        self.name = name
        self.steps = []
        self.folder = SCREENSHOTS / lang
        self.folder.mkdir(parents=True, exist_ok=True)

    def step(self, label):
        page = self.page
        page.wait_for_load_state("load")
        assert page.locator("html").get_attribute("lang") == self.lang, f"{page.url} is not in {self.lang}"
        check_accessibility(page)
        self.steps.append(label)
        path = self.folder / f"{self.name}-{len(self.steps):02d}-{label}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled", caret="initial")
        return path

    def goto(self, path, label):
        self.page.goto(path)
        return self.step(label)

    def log_in(self, email, password):
        page = self.page
        page.goto("/accounts/login/")
        page.locator("#id_username").fill(email)
        page.locator("input[name=password]").fill(password)
        press_with_keyboard(
            page, page.locator("main button[type=submit]"), start=page.locator("#id_password")
        )
        page.wait_for_load_state("load")
        if "/accounts/two-factor/verify/" in page.url:
            # Staff and auditors: the second step, with the code their authenticator shows now.
            page.locator("#id_code").fill(second_factor_code(email))
            press_with_keyboard(
                page, page.locator("main button[type=submit]"), start=page.locator("#id_code")
            )
            page.wait_for_load_state("load")
        assert "/accounts/two-factor/" not in page.url, "the second step failed"
        assert page.locator("form[action$='/accounts/logout/']").count() == 1, "log-in failed"


def second_factor_code(email):
    """The code ``email``'s authenticator shows, computed from its secret: the current time step's
    or, when that one was already used (a log-in moments ago: codes are never accepted twice),
    the next step's, which the server accepts too; if both were used, wait for the next step."""
    from django_otp.oath import hotp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user__email=email, confirmed=True)
    now = int(time.time() - device.t0) // device.step
    if device.last_t + 1 > now + device.tolerance:
        time.sleep((now + 1) * device.step + device.t0 - time.time() + 0.2)
        now += 1
    counter = max(now, device.last_t + 1)
    return f"{hotp(device.bin_key, counter, digits=device.digits):06d}"


def follow(page, target):
    """Click a link or a submit button and wait for the page it leads to (even the same URL)."""
    with page.expect_navigation():
        target.click()


def press_with_keyboard(page, target, *, start=None, key="Enter", max_tabs=60, navigates=True):
    """Reach ``target`` by pressing Tab (from ``start``, or the top of the page) and press ``key``,
    then wait for the page it leads to.

    Fails if Tab never lands on it: the control is not in the keyboard order."""
    if start is not None:
        start.focus()
    else:
        page.locator("body").focus()
    handle = target.element_handle()
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        if page.evaluate("(el) => document.activeElement === el", handle):
            if navigates:
                with page.expect_navigation():
                    page.keyboard.press(key)
            else:
                page.keyboard.press(key)
            return
    raise AssertionError(f"Tab never reached {target} within {max_tabs} presses")
