-- the old leaders of the batch's days' stories (and of stories that moved to them from another day)
-- that the new ones do not repeat exactly
with old_leaders as (
    select article_id
    from reporting.story_leaders
    where day = any(%(days)s::date[])
    union
    select article_id
    from pg_temp.next_leaders
)

delete from reporting.story_leaders as s
using old_leaders as o
where s.article_id = o.article_id
  and not exists (
      select 1
      from pg_temp.next_leaders as n
      where n.article_id = s.article_id
        and n.day = s.day
        and n.entity_ids = s.entity_ids
  )
