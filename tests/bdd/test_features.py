"""Binds every Gherkin feature under tests/features to the shared steps."""

from pytest_bdd import scenarios

scenarios("licensing_audit.feature", "rerun_and_diagnostics.feature")
