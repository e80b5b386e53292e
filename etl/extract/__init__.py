"""Extract: page bytes into an Article or a Reject. Pure functions: no network, no database."""
