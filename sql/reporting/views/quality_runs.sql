-- reporting.quality_runs: one row per pipeline run: its inputs and rejects (reject_rate =
-- rejected at fetch or extract / pages attempted, the rule that marks a run 'degraded'), and the
-- quality of the articles it wrote: duplicate share over all of them; shares with no date, no
-- author or an empty body over its stories (duplicates left out).
create or replace view reporting.quality_runs as
with runs as (
    select run_id, trigger, status, started_at, finished_at, counts
    from public.pipeline_runs
),

articles as (
    select article_id, run_id, published_date, word_count, duplicate_of
    from public.articles
),

article_authors as (
    select article_id
    from public.article_authors
    group by article_id
),

written as (
    select
        a.run_id,
        count(*) as articles,
        count(*) filter (where a.duplicate_of is not null) as duplicates,
        count(*) filter (where a.duplicate_of is null) as stories,
        count(*) filter (where a.duplicate_of is null and a.published_date is null) as no_date,
        count(*) filter (where a.duplicate_of is null and aa.article_id is null) as no_author,
        count(*) filter (where a.duplicate_of is null and a.word_count = 0) as empty_body
    from articles as a
    left join article_authors as aa on aa.article_id = a.article_id
    where a.run_id is not null
    group by a.run_id
),

run_counts as (
    select
        run_id,
        trigger,
        status,
        started_at,
        finished_at,
        coalesce((counts ->> 'fetched')::numeric, 0)::bigint as fetched,
        coalesce((counts ->> 'rejected_fetch')::numeric, 0)::bigint as rejected_fetch,
        coalesce((counts ->> 'rejected_extract')::numeric, 0)::bigint as rejected_extract
    from runs
)

select
    r.run_id,
    r.trigger,
    r.status,
    r.started_at,
    round(extract(epoch from (r.finished_at - r.started_at))::numeric, 1) as seconds,
    r.fetched + r.rejected_fetch as attempted,
    r.rejected_fetch,
    r.rejected_extract,
    round((r.rejected_fetch + r.rejected_extract)::numeric / nullif(r.fetched + r.rejected_fetch, 0), 4)
        as reject_rate,
    coalesce(w.articles, 0) as articles,
    coalesce(w.stories, 0) as stories,
    round(w.duplicates::numeric / nullif(w.articles, 0), 4) as duplicate_rate,
    round(w.no_date::numeric / nullif(w.stories, 0), 4) as no_date_share,
    round(w.no_author::numeric / nullif(w.stories, 0), 4) as no_author_share,
    round(w.empty_body::numeric / nullif(w.stories, 0), 4) as empty_body_share
from run_counts as r
left join written as w on w.run_id = r.run_id;
