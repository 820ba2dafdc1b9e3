"""HTTP plumbing shared by every capability's routes.

request checks, body limits, parameter bounds and error answers.
"""
