"""Feeds: named hashtag selections whose approved posts widgets show publicly."""
