"""The composition root.

Builds the running Tocsin, wires every capability's handlers and hooks, the web app and the
command line.
"""
