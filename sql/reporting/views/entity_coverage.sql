-- reporting.entity_coverage: one row per day and language: stories, and stories with at least one
-- entity (a language without an NER model gets none: `newsetl report` prints the share under every
-- entity report, `newsetl run` under its summary).
create or replace view reporting.entity_coverage as
with stories as (
    select article_id, day, language
    from reporting.stories
),

article_entities as (
    select article_id
    from public.article_entities
)

select
    s.day,
    s.language,
    count(*) as stories,
    count(*) filter (where exists (select 1 from article_entities as ae where ae.article_id = s.article_id))
        as with_entities
from stories as s
group by s.day, s.language;
