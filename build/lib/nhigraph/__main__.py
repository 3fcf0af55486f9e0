"""``python -m nhigraph`` runs the command line."""

from nhigraph.cli import main

main()
