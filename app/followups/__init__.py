"""Follow-up of promising meetings after the mission: stages, due dates, reminders, contracts."""
