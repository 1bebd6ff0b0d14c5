"""Copy the README's tour from the journeys' screenshots (var/screenshots, written by
`GONGMO_BROWSER_TESTS=1 pytest tests/browser`) to docs/tour/. Run by `make tour`.

Screenshots are matched by journey and step name, not by number, so that a journey may gain a
step without changing the tour. pngquant, when installed, makes the copies smaller.
"""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "var" / "screenshots"
TARGET = ROOT / "docs" / "tour"

# (language, journey, step) -> name in docs/tour, in the order of the README's tour.
TOUR = [
    ("ko", "apply", "calls", "01-open-calls"),
    ("ko", "apply", "organisation", "02-organisation-size-class"),
    ("ko", "apply", "self-check-fails", "03-self-check-fails"),
    ("ko", "apply", "submitted", "04-submitted-reference"),
    ("ko", "staff-evaluation", "queue", "05-eligibility-queue"),
    ("ko", "staff-evaluation", "progress", "06-review-progress"),
    ("ko", "review", "draft-saved", "07-blind-review"),
    ("ko", "selection", "preview", "08-selection-preview"),
    ("ko", "selection-applicant", "application", "09-applicant-selected"),
    ("ko", "audit", "ready", "10-funding-workbook"),
    ("en", "apply", "self-check-fails", "11-self-check-fails-en"),
    ("en", "selection", "preview", "12-selection-preview-en"),
    ("ko", "selection", "call-dashboard", "13-call-dashboard"),
    ("en", "selection", "staff-home", "14-staff-dashboard-en"),
    ("ko", "review", "my-reviews-after", "15-reviewer-dashboard"),
    ("ko", "selection-applicant", "dashboard", "16-applicant-dashboard"),
]


def main():
    TARGET.mkdir(parents=True, exist_ok=True)
    pngquant = shutil.which("pngquant")
    missing = []
    for lang, journey, step, name in TOUR:
        found = sorted((SOURCE / lang).glob(f"{journey}-[0-9][0-9]-{step}.png"))
        if not found:
            missing.append(f"{lang}/{journey}-NN-{step}.png")
            continue
        target = TARGET / f"{name}.png"
        target.unlink(missing_ok=True)
        if pngquant:
            subprocess.run(
                [pngquant, "--force", "--skip-if-larger", "--quality=70-95", "--output", target, found[-1]],
                check=False,
            )
        if not pngquant or not target.exists():
            shutil.copyfile(found[-1], target)
        print(f"{target.relative_to(ROOT)}  ({target.stat().st_size // 1024} KB)")
    if missing:
        sys.exit("Missing screenshots (run the browser journeys first): " + ", ".join(missing))


if __name__ == "__main__":
    main()
