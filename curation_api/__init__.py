"""The curation side: scored posts into a database, moderators and public feeds out."""
