"""Test support shared by every service's tests: databases and service processes.

Not part of any image; tests and benchmarks import it from the repository root.
"""
