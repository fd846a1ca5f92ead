"""The queue's world and sign-in fixtures, for the tests that render every area's pages."""
from tests.review.conftest import imported, login  # noqa: F401
