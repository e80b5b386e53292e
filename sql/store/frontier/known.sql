-- which of these URL keys the frontier already holds (discovery counts only new URLs against its
-- per-run cap). Grain: one row per known key.
select url_hash
from frontier
where url_hash = any(%(url_hashes)s::text[])
