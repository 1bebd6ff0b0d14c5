"""The test suite's settings (pyproject's DJANGO_SETTINGS_MODULE): development mode, asked for
explicitly, since config.settings is production unless DEBUG=1. Processes the tests start
inherit DEBUG=1 and this module; those that want production settings name config.settings and
set DEBUG=0 themselves (tests/test_production.py, tests/test_settings.py, tests/faults)."""

import os

os.environ["DEBUG"] = "1"

from config.settings import *  # noqa: E402, F403
