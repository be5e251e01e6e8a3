"""bouncewatch: watch a bounce mailbox, tell senders which addresses to stop mailing and why.

One message flows one way (docs/architecture.md draws it; tests/test_architecture.py holds
every module to it):

    source -> parse -> classify -> record -> acknowledge
    (sources)  (parse)  (classify)  (store)    (sources)

`analyze` runs parse then classify; the service pass and the CLI's `ingest` run a source's
messages through `analyze` and `store`.  Beneath everything: `model` (the shared
dataclasses and vocabulary) and the floor `smtp` (status and reply codes), which import
nothing of the project.
"""

__version__ = "0.1.0"
