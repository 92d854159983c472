"""Developer tools: run from a checkout (``make ...``), never shipped in the wheel nor imported by
the runtime packages."""
