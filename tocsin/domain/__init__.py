"""Pure incident-management logic: no I/O, no database, no wall clock."""
