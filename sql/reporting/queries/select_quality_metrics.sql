-- the figures the data-quality gate checks (etl/quality.py): one row. Shares are over the
-- articles first seen in the last window_days days; the reject rate is the latest finished run's.
with articles as (
    select article_id, published_date, word_count, duplicate_of, first_seen_at
    from public.articles
),

article_authors as (
    select article_id
    from public.article_authors
    group by article_id
),

runs as (
    select run_id, status, counts
    from public.pipeline_runs
    where status in ('success', 'degraded')
),

warehouse as (
    select count(*) filter (where duplicate_of is null) as stories
    from articles
),

latest_run as (
    select
        run_id,
        (coalesce((counts ->> 'rejected_fetch')::numeric, 0) + coalesce((counts ->> 'rejected_extract')::numeric, 0))
        / nullif(coalesce((counts ->> 'fetched')::numeric, 0) + coalesce((counts ->> 'rejected_fetch')::numeric, 0), 0)
            as reject_rate
    from runs
    order by run_id desc
    limit 1
),

recent as (
    select
        count(*) as articles,
        count(*) filter (where a.duplicate_of is null) as stories,
        count(*) filter (where a.duplicate_of is not null) as duplicates,
        count(*) filter (where a.duplicate_of is null and a.published_date is null) as no_date,
        count(*) filter (where a.duplicate_of is null and aa.article_id is null) as no_author,
        count(*) filter (where a.duplicate_of is null and a.word_count = 0) as empty_body
    from articles as a
    left join article_authors as aa on aa.article_id = a.article_id
    where a.first_seen_at >= now() - make_interval(secs => %(window_days)s * 86400)
)

select
    w.stories,
    r.run_id,
    r.reject_rate::float8 as reject_rate,
    recent.articles as recent_articles,
    recent.stories as recent_stories,
    recent.duplicates::float8 / nullif(recent.articles, 0) as duplicate_rate,
    recent.no_date::float8 / nullif(recent.stories, 0) as no_date_rate,
    recent.no_author::float8 / nullif(recent.stories, 0) as no_author_rate,
    recent.empty_body::float8 / nullif(recent.stories, 0) as empty_body_rate
from warehouse as w
cross join recent
left join latest_run as r on true
