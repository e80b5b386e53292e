-- forget the evidence an article's previous load stored and queue the resolution step's work: one
-- entity_pending row per article loaded, and one per name key an article held before and holds no
-- more (its support changed; a key it still holds is handled with the article)
with old_short_forms as (
    delete from entity_short_forms
    where article_id = any(%(article_ids)s::bigint[])
    returning article_id, short_key as name_key
),

old_mentions as (
    delete from entity_mentions
    where article_id = any(%(article_ids)s::bigint[])
    returning article_id, name_key
),

new_keys as (
    select article_id, name_key
    from unnest(%(new_article_ids)s::bigint[], %(new_keys)s::text[]) as n (article_id, name_key)
),

lost_keys as (
    insert into entity_pending (name_key)
    select distinct o.name_key
    from (select article_id, name_key from old_short_forms
          union
          select article_id, name_key from old_mentions) as o
    where not exists (select 1 from new_keys as n where n.article_id = o.article_id and n.name_key = o.name_key)
    order by 1
)

insert into entity_pending (article_id)
select article_id
from unnest(%(article_ids)s::bigint[]) as a (article_id)
order by 1
