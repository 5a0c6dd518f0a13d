"""The audit log: who changed what (schedule, links, outcomes, accounts) and when."""
