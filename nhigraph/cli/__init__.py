"""The ``nhigraph`` command line. ``main`` is the console entry point.

Every error a user can cause is printed as one line on stderr with a non-zero exit
code, never a traceback (exit codes: docs/cli.md).
"""

from __future__ import annotations

import importlib
import sys

from nhigraph.cli.app import app, err
from nhigraph.errors import NhigraphError

# Each module adds its commands to ``app``; --help lists them in this order.
for _domain in ("ingest", "blast", "posture", "incident", "api_keys"):
    importlib.import_module(f"nhigraph.cli.{_domain}")

__all__ = ["app", "main"]


def main() -> None:
    """Console entry point: user errors become one line and their exit code (docs/cli.md)."""
    try:
        app()
    except NhigraphError as exc:
        line = " ".join(str(exc).split())  # one line, whatever a driver put in its message
        err.print(f"nhigraph: error: {line}", soft_wrap=True)
        sys.exit(getattr(exc, "exit_code", 1))
    except KeyboardInterrupt:
        err.print("nhigraph: interrupted")
        sys.exit(130)
