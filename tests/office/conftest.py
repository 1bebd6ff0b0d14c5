"""Tests that open our files in LibreOffice. CI installs it (libreoffice-calc-nogui) and runs
this folder there; a missing soffice is a failure, never a skip, so that a broken CI image
cannot pass silently."""

import shutil

import pytest


@pytest.fixture(scope="session")
def soffice():
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if path is None:
        pytest.fail(
            "LibreOffice is not installed (no soffice on PATH): apt-get install -y libreoffice-calc-nogui",
            pytrace=False,
        )
    return path


@pytest.fixture(autouse=True)
def _needs_soffice(soffice):
    """Every test here fails at once without LibreOffice."""
