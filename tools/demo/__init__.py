"""The demo builder: turns ``corpus.toml`` into ``ingest/demo/demo_posts.jsonl`` (``make demo``)."""
