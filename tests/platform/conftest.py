"""The queue's imported world, for the tests that render every area's pages."""
from tests.review.conftest import imported  # noqa: F401
