"""Server-side SVG charts: accessible (role, title, desc), proportional, labelled, escaped,
amounts formatted (the 억/만 reading in Korean)."""

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.utils import translation

from evaluation.charts import money_chart, places_chart, score_bins, score_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg):
    """The chart must be well-formed XML (so nothing unescaped slipped in)."""
    return ET.fromstring(svg)


def widths(root, css_class):
    return [float(rect.get("width")) for rect in root.iter(f"{SVG}rect") if rect.get("class") == css_class]


def test_every_chart_is_an_image_with_a_title_and_a_description():
    charts = [
        places_chart([("Mobility", 1, 2)], chart_id="p"),
        score_chart([("Mobility", [Decimal("71.5")])], Decimal("70.00"), chart_id="s"),
        money_chart([("Pilot", 100, 50, 10)], chart_id="m"),
    ]
    for svg, chart_id in zip(charts, ["p", "s", "m"], strict=True):
        root = parse(svg)
        assert root.get("role") == "img"
        assert root.get("aria-labelledby") == f"{chart_id}-title {chart_id}-desc"
        assert root.find(f"{SVG}title").get("id") == f"{chart_id}-title"
        assert root.find(f"{SVG}desc").text


def test_places_bars_are_proportional_to_the_places_and_maxima():
    root = parse(places_chart([("Mobility", 2, 4), ("Safety", 1, 2)]))
    filled = widths(root, "filled")
    assert filled[0] == 2 * filled[1]
    assert "Mobility: 2 of 4" in root.find(f"{SVG}desc").text
    assert [t.text for t in root.iter(f"{SVG}text")].count("2 / 4") == 1


def test_places_over_the_maximum_are_shown_in_red_and_capped():
    root = parse(places_chart([("Mobility", 5, 4)]))
    (bar,) = [rect for rect in root.iter(f"{SVG}rect") if rect.get("class") == "filled"]
    assert bar.get("fill") == "#d50136"
    assert "5 / 4" in [t.text for t in root.iter(f"{SVG}text")]


def test_names_are_escaped_not_injected():
    name = '<script>alert("x")</script> & Co'
    for svg in (
        places_chart([(name, 1, 2)]),
        score_chart([(name, [Decimal("80")])], Decimal("70")),
        money_chart([(name, 100, 50, 10)]),
    ):
        assert "<script>" not in svg
        assert "&lt;script&gt;" in svg
        root = parse(svg)
        assert name in [t.text for t in root.iter(f"{SVG}text")]


def test_scores_are_binned_by_five_points_with_the_top_score_in_the_last_bin():
    bins = score_bins([Decimal("0"), Decimal("4.99"), Decimal("5"), Decimal("72.5"), Decimal("100")])
    assert len(bins) == 20
    assert (bins[0], bins[1], bins[14], bins[19], sum(bins)) == (2, 1, 1, 1, 5)


def test_score_histogram_heights_follow_the_counts_and_the_cutoff_line_sits_at_its_score():
    scores = [Decimal("72")] * 4 + [Decimal("81")] * 2
    root = parse(score_chart([("Mobility", scores)], Decimal("70.00"), width=640, label_width=150, top=100))
    heights = sorted(float(r.get("height")) for r in root.iter(f"{SVG}rect") if r.get("class") == "bin")
    assert heights[1] == 2 * heights[0]
    (line,) = [line for line in root.iter(f"{SVG}line") if line.get("class") == "cutoff"]
    assert float(line.get("x1")) == 150 + (640 - 150 - 20) * 0.70
    assert "Cutoff 70.00" in [t.text for t in root.iter(f"{SVG}text")]
    assert "Mobility: 6 scores, 6 at or above the cutoff" in root.find(f"{SVG}desc").text


@pytest.mark.parametrize("cutoff", ["10", "70", "95"])
def test_the_cutoff_label_never_covers_a_bar_nor_runs_off_the_chart(cutoff):
    # The tallest bars of the first row reach the top of that row: the label has its own band.
    scores = [Decimal(cutoff)] * 9 + [Decimal("99")] * 9 + [Decimal("3")] * 9
    root = parse(score_chart([("Mobility", scores), ("Energy", scores)], Decimal(cutoff), width=640))
    (label,) = [t for t in root.iter(f"{SVG}text") if t.get("class") == "cutoff-label"]
    label_bottom = float(label.get("y")) + 2  # the baseline plus descenders at 12 px
    bar_tops = [float(r.get("y")) for r in root.iter(f"{SVG}rect") if r.get("class") == "bin"]
    assert label_bottom < min(bar_tops)
    x, anchor = float(label.get("x")), label.get("text-anchor")
    approximate_width = 7 * len(label.text)  # 12 px glyphs: at most about 7 px wide each
    right_edge = x + approximate_width if anchor == "start" else x
    assert right_edge <= 640
    (line,) = [line for line in root.iter(f"{SVG}line") if line.get("class") == "cutoff"]
    assert float(line.get("y2")) <= float(root.get("viewBox").split()[3])


def test_money_bars_share_one_scale():
    root = parse(money_chart([("Pilot", 400, 200, 100), ("Challenge", 800, 0, 0)]))
    amounts = widths(root, "amount")
    assert amounts[0] == 2 * amounts[1] == 4 * amounts[2]
    assert amounts[3] == 2 * amounts[0]
    assert amounts[4] == amounts[5] == 0


def test_money_labels_read_in_won_and_in_korean_with_eok_and_man():
    rows = [("Pilot", 3_790_000_000, 1_500_000_000, 50_000_000)]
    english = money_chart(rows)
    assert "3,790,000,000 KRW" in english
    with translation.override("ko"):
        korean = money_chart(rows)
    assert "37억 9,000만 원" in korean
    assert "5,000만 원" in korean
    # Tooltips carry the full amount with separators too.
    assert re.search(r"3,790,000,000\S* \(37억 9,000만 원\)", korean)


def test_no_rows_no_chart():
    assert places_chart([]) == score_chart([], Decimal("70")) == money_chart([]) == ""


def test_status_bars_stack_each_fields_applications_on_one_scale():
    from evaluation.charts import status_chart

    root = parse(
        status_chart([("Mobility", [2, 1, 0]), ("Safety", [1, 0, 5])], ["Eligible", "Scored", "Selected"])
    )
    segments = widths(root, "segment")
    assert len(segments) == 4  # empty statuses draw nothing
    mobility_eligible, mobility_scored, safety_eligible, safety_selected = segments
    assert mobility_eligible == pytest.approx(2 * mobility_scored, abs=0.2)
    assert mobility_scored == safety_eligible
    assert safety_selected == pytest.approx(5 * safety_eligible, abs=0.5)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"Eligible", "Scored", "Selected", "3", "6"} <= set(texts)
    assert "Mobility: Eligible 2, Scored 1" in root.find(f"{SVG}desc").text


def _luminance(colour):
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast_on_white(colour):
    return 1.05 / (_luminance(colour) + 0.05)


def test_every_bar_swatch_and_line_reaches_3_to_1_against_the_page():
    """WCAG 1.4.11 (non-text contrast): a bar, a legend swatch or an axis is told from the white
    page by its fill or, for the light track of a maximum, by its outline."""
    from evaluation.charts import PALETTE, status_chart

    statuses = [f"status {n}" for n in range(len(PALETTE))]
    charts = [
        places_chart([("Mobility", 1, 2), ("Safety", 3, 2)]),
        status_chart([("Mobility", list(range(1, len(PALETTE) + 1)))], statuses),
        score_chart([("Mobility", [Decimal("71.5"), Decimal("40")])], Decimal("70.00")),
        money_chart([("Pilot", 100, 50, 10)]),
    ]
    seen = set()
    for svg in charts:
        root = parse(svg)
        for shape in [*root.iter(f"{SVG}rect"), *root.iter(f"{SVG}line")]:
            colours = [shape.get(a) for a in ("fill", "stroke") if (shape.get(a) or "").startswith("#")]
            colours = [c for c in colours if c.lower() not in ("#fff", "#ffffff")]
            assert colours, f"a shape with no visible colour: {ET.tostring(shape)[:80]}"
            best = max(_contrast_on_white(c) for c in colours)
            seen.update(colours)
            assert best >= 3, f"{colours} reach only {best:.2f}:1 against white"
    assert set(PALETTE) <= seen
