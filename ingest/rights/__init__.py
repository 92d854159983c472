"""The ingest rights worker: replies to creators' posts on behalf of the brand, and reads their
answers.

``ugc.rights.commands`` → a sender per network (:mod:`~ingest.rights.mastodon`; the networks
without one get ``manual_send_needed``, :mod:`~ingest.rights.manual`) → ``ugc.rights.events``,
paced per account (:mod:`~ingest.rights.pacing`), committed last (:mod:`~ingest.rights.worker`).
Each sent request is watched for replies (:mod:`~ingest.rights.watcher`), from the table
``rights_watches`` (:mod:`~ingest.rights.watches`).
"""
