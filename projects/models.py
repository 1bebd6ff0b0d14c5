"""Organisations, applications and, after award, projects and their ledgers (issues 3 and 5)."""
