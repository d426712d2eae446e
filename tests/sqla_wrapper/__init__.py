"""sqla-wrapper 6.0.0's own tests, run on datalayer (see conftest.py)."""
