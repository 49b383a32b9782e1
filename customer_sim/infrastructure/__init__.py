"""Adapters to the outside world: the services' HTTP APIs, the run database, report files."""
