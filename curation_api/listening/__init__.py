"""Listening jobs: which hashtags to listen for on which network; the ingest worker runs them."""
