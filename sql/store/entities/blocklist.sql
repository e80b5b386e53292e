-- the blocklist: one row per name key and what it blocks ('alias' or 'entity')
select name_key, blocks
from entity_blocklist
