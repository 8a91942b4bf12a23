"""The report store: per-try folders of HTML reports and result JSON, on any ObjectStoragePath."""
