"""The database layer that more than one stage needs: the engine and sessions
(:mod:`database.engine`), every table (:mod:`database.models`) and its Alembic migrations
(:mod:`database.migrate`), with the errors and keyset pages of stored records."""
