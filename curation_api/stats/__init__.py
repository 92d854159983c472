"""Progress counters for people and supervisors, and the health check."""
