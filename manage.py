#!/usr/bin/env python
"""Django's command-line utility, with configuration errors reported in one line."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError

    from config.env import ConfigError, report_and_exit

    try:
        execute_from_command_line(sys.argv)
    except ConfigError as exc:
        report_and_exit(exc)
    except OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        sys.stderr.write(f"safecase: cannot reach the database named by DATABASE_URL: {first}\n")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
