-- the 5 most salient entities of each story of the batch's days (ties by name, then type): one row per
-- story with entities, into the refresh's scratch table
insert into pg_temp.next_leaders (article_id, day, entity_ids)
with stories as (
    select article_id, day
    from reporting.stories
    where day = any(%(days)s::date[])
),

entities as (
    select entity_id, name, type
    from public.entities
),

ranked as (
    select
        ae.article_id,
        s.day,
        ae.entity_id,
        row_number() over (partition by ae.article_id order by ae.salience desc, e.name, e.type) as position
    from stories as s
    cross join lateral (  -- by the key of each story (a batch holds a small share of all stories)
        select article_id, entity_id, salience
        from public.article_entities as l
        where l.article_id = s.article_id
        offset 0  -- kept apart: a probe of the key per story, never a scan of all the links
    ) as ae
    join entities as e on e.entity_id = ae.entity_id
)

select article_id, day, array_agg(entity_id order by position)
from ranked
where position <= 5
group by article_id, day
