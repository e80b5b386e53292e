"""Alembic migrations of the warehouse; each revision applies one file from sql/migrations/."""
