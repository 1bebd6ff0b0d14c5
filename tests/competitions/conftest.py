import pytest


@pytest.fixture
def small_import_threshold(settings, tmp_path):
    """Imports of more than 3 rows go to the background (a worker; eager in tests), and their
    uploaded files to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMPORT_BACKGROUND_ROWS = 3
    settings.IMPORT_BACKGROUND_BYTES = 1024 * 1024
