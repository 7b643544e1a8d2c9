"""Integration fixtures. (The shared test station's limits are raised where the database
is created, tests/conftest.py, so that UI tests running first are not blocked either.)"""
