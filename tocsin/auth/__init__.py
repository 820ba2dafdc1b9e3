"""Who is asking: users, roles, API tokens, passwords and browser sessions."""
