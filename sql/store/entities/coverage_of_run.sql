-- the stories a run wrote (articles last written by it that are no near-duplicate), and those with
-- at least one entity: one row per language
select coalesce(a.language::text, 'unknown') as language,
       count(*)::integer as stories,
       count(*) filter (where exists (select 1 from article_entities as ae
                                      where ae.article_id = a.article_id))::integer as with_entities
from articles as a
where a.run_id = %(run_id)s
  and a.duplicate_of is null
group by 1
