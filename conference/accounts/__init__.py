"""Accounts: users, roles, passwords, API tokens."""
