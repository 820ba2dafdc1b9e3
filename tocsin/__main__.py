"""``python -m tocsin`` runs the command line."""

from tocsin.app.cli import main

main()
