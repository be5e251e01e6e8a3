"""Reports: counts and rates per day, week, receiving domain and list source, and findings."""
