"""Listening jobs, as both the ingest worker and the curation API know them: the networks as data
(modes, options, credential names), credentials resolution, the job schemas and the rules and
queries that create, change and list jobs."""
