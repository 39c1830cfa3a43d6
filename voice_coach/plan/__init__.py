"""Plans, programs and progression: what is planned, checked against the ACSM limits."""
