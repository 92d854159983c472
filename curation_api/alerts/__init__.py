"""Spike incidents: the sink of ``ugc.alerts``, the moderators' API and commands, and the
per-hashtag alert settings the spike stream reads."""
