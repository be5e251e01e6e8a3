"""SQL views for reports (owned by the reports work).  name -> CREATE VIEW statement."""

VIEWS: dict[str, str] = {}
