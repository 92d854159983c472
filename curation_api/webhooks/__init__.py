"""Webhooks: endpoints, the events the product emits, and their delivery (issue 12)."""
