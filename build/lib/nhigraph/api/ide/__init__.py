"""The GraphQL IDE's static files: vendored GraphiQL and React (see VENDORED.txt) and our page.

It only says where the files are; serving them (at /ide/, with the API's CSP) is the API's job.
Re-vendor with scripts/vendor-ide; never edit the third-party files by hand.
"""

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
"""Directory holding index.html, ide.js, ide.css and the vendored bundles."""
