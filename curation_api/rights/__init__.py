"""Rights to reuse creators' posts: asking, reading the creator's answer, keeping the proof."""
