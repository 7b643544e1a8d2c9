"""Use-case services: functions named as verbs taking a UnitOfWork and returning views."""
