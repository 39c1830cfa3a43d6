"""The resident listener: wake phrase, reminders from the plan, and the service that runs it."""
