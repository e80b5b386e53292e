"""Store: every SQL statement of the data path, run through psycopg. The only layer that talks to PostgreSQL."""
