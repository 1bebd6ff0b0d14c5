"""Every control of the admin's call page has an accessible name (issue 20: 59 inline inputs in
the tabular inlines had none): the inline rows label each input with its column."""

import lxml.html
from django.urls import reverse

from tests.factories import CallFactory

SKIP = {"hidden", "submit", "button", "reset", "image"}


def unnamed_controls(html):
    tree = lxml.html.fromstring(html)
    labelled = {
        label.get("for") for label in tree.iter("label") if label.get("for") and label.text_content().strip()
    }
    missing = []
    for control in tree.xpath("//input | //select | //textarea"):
        if control.tag == "input" and (control.get("type") or "text") in SKIP:
            continue
        if control.get("aria-label") or control.get("aria-labelledby"):
            continue
        if control.get("id") and control.get("id") in labelled:
            continue
        if any(parent.tag == "label" for parent in control.iterancestors()):
            continue
        missing.append(control.get("name") or control.get("id") or control.tag)
    return missing


def test_every_control_of_the_call_change_page_is_named(staff_client, db):
    call = CallFactory()
    response = staff_client.get(reverse("admin:competitions_call_change", args=[call.pk]))
    assert response.status_code == 200
    missing = unnamed_controls(response.content.decode())
    assert missing == [], " ".join(missing)


def test_an_inline_input_is_named_after_its_column(staff_client, db):
    call = CallFactory()
    html = staff_client.get(reverse("admin:competitions_call_change", args=[call.pk])).content.decode()
    tree = lxml.html.fromstring(html)
    names = tree.xpath("//input[@name='service_fields-__prefix__-name']")
    assert names and names[0].get("aria-label")
