"""Fixtures for every test in the repository live in testkit/fixtures.py."""

pytest_plugins = ["testkit.fixtures"]
