"""Production static files (DEBUG off): collectstatic writes the hashed manifest, although KRDS's
stylesheets reference a few images the package does not ship (config/staticfiles.py)."""

import json

import pytest
from django.core.management import call_command

from config.staticfiles import GongmoStaticFilesStorage

KRDS_CSS = "krds/css/component/component.css"
BROKEN = "../../img/img/component/icon/ico_angle.svg"  # one img/ too many, in KRDS itself


@pytest.fixture
def production_storage(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "config.staticfiles.GongmoStaticFilesStorage"},
    }
    return tmp_path


def test_collectstatic_writes_the_manifest_and_keeps_krds_broken_references(production_storage):
    call_command("collectstatic", interactive=False, verbosity=0)
    manifest = json.loads((production_storage / "staticfiles.json").read_text())["paths"]
    hashed = manifest[KRDS_CSS]
    assert hashed != KRDS_CSS and hashed.startswith("krds/css/component/component.")
    css = (production_storage / hashed).read_text()
    assert f"url({BROKEN})" in css  # left as KRDS wrote it
    assert not any("img/img/" in name for name in manifest)
    # References that do resolve are hashed as usual.
    assert any(name.startswith("gongmo/") for name in manifest)


def test_a_missing_reference_outside_krds_still_fails(production_storage):
    storage = GongmoStaticFilesStorage(location=production_storage)
    (production_storage / "gongmo").mkdir()
    (production_storage / "gongmo" / "site.css").write_text("a { background: url(missing.png) }")
    convert = storage.url_converter("gongmo/site.css", {})
    match = storage._patterns["*.css"][0][0].search("a { background: url(missing.png) }")
    with pytest.raises(ValueError, match="could not be found"):
        convert(match)
