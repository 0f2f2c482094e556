"""Where the project's data lives: the one place that knows the fixtures folder.

The fixtures (domain, snapshot and scenario files, the goldens, the recorded
upstream observations) are not package data: they sit beside the package in the
source tree, ``fixtures/``, where an editable install (``pip install -e``) finds
them, since the package is imported from that tree.
"""
from pathlib import Path


def fixtures_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "fixtures"
