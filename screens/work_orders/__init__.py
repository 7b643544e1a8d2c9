"""Work orders at the station: queue, step execution, QA review (issue 14)."""
