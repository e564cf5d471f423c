"""The ``palliro`` command: Django's management commands with Palliro's settings."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palliro.settings")
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "palliro"
    if len(argv) > 1 and argv[1] == "demo":
        # The demo is a safe local playground: relaxed checks, console e-mail, no 2FA.
        os.environ["PALLIRO_MODE"] = "demo"
        if os.environ.pop("DATABASE_URL", None):
            print("palliro demo always uses its own SQLite database; DATABASE_URL is ignored.", file=sys.stderr)
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)
