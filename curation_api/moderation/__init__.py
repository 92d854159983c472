"""The moderation queue, approve/reject, and the audit log of moderation actions."""
