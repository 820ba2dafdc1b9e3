"""Command-line plumbing shared by every capability's commands.

The root command, which gathers them, is ``tocsin.app.cli``.
"""
