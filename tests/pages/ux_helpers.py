"""Helpers of the issue #23 usability page tests; the stored-language helper now lives in conftest."""
from tests.pages.conftest import stored_language  # noqa: F401  (kept importable from here)
