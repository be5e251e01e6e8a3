"""Reports: counts and rates per day, week, receiving domain and list source, and findings,
read from the store (`queries`, `findings`), rendered as text, HTML or Datasette metadata.

May import: `bouncewatch.model`, `bouncewatch.store` and `config`.  Never `parse`, `classify`,
`analyze`, the sources, the service, the daemon or the CLI.
"""
