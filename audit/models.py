"""The auditors room: export jobs for the funding workbook (see models.py)."""
