"""The `kilowatt` console command: Django management with Kilowatt's settings."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kilowatt.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kilowatt", *sys.argv[1:]])


if __name__ == "__main__":
    main()
