"""The sink: scored posts from Kafka into the database, idempotently."""
