"""Listening jobs as the ingest side runs them: the worker (``ugc ingest run``), its view of the
curation database (definitions in; health and positions out), and backfills."""
