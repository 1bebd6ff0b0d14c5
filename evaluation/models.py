"""Reviewers, scoring, ranking and selection (issue 4)."""
