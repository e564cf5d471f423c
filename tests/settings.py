"""Settings for the test suite: Palliro's own settings in development mode, with a fast password hasher.

The database comes from DATABASE_URL exactly as in production, so the same suite runs on SQLite and on
PostgreSQL.
"""

import os
import tempfile

os.environ.setdefault("PALLIRO_MODE", "development")
os.environ.setdefault("PALLIRO_DATA_DIR", tempfile.mkdtemp(prefix="palliro-test-"))

from palliro.settings import *  # noqa: E402,F403
from palliro.settings import DATA_DIR  # noqa: E402

(DATA_DIR / "static").mkdir(parents=True, exist_ok=True)

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

# Live-server and threaded tests must not keep connections open between requests (PostgreSQL refuses to drop a
# test database that still has sessions).
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# The worker's quiet hours (followup/tasks.py) would make every test that sends "now" depend on the hour it runs;
# tests send at any hour unless they set PALLIRO_SEND_WINDOW themselves (tests/followup/test_quiet_hours.py).
PALLIRO_SEND_WINDOW = (0, 24)
