"""The test suite's settings (pyproject's DJANGO_SETTINGS_MODULE): development mode, asked for
explicitly, since config.settings is production unless DEBUG=1. Processes the tests start
inherit DEBUG=1 unless they set it themselves (the production-settings tests set DEBUG=0)."""

import os

os.environ["DEBUG"] = "1"

from config.settings import *  # noqa: E402, F403
