-- reporting.quality_sources: one row per source, as the warehouse stands: pages fetched, URLs
-- rejected at fetch and pages rejected at extract (reject_rate over the URLs attempted), reject
-- reasons (distinct URLs per reason), duplicate share over its articles, and shares with no date,
-- no author or an empty body over its stories.
create or replace view reporting.quality_sources as
with sources as (
    select source_id, name
    from public.sources
),

frontier as (
    select source_id, status
    from public.frontier
),

raw_pages as (
    select source_id, process_status
    from public.raw_pages
),

rejects as (
    select source_id, coalesce(url_hash, url) as url_key, reason
    from public.rejects
),

articles as (
    select article_id, source_id, published_date, word_count, duplicate_of
    from public.articles
),

article_authors as (
    select article_id
    from public.article_authors
    group by article_id
),

fetch_state as (
    select source_id, count(*) filter (where status = 'rejected') as rejected_fetch
    from frontier
    group by source_id
),

page_state as (
    select
        source_id,
        count(*) as pages,
        count(*) filter (where process_status = 'rejected') as rejected_extract
    from raw_pages
    group by source_id
),

reason_counts as (
    select source_id, reason, count(distinct url_key) as urls
    from rejects
    where source_id is not null
    group by source_id, reason
),

reasons as (
    select source_id, string_agg(reason || ' ' || urls, ', ' order by urls desc, reason) as reject_reasons
    from reason_counts
    group by source_id
),

article_quality as (
    select
        a.source_id,
        count(*) as articles,
        count(*) filter (where a.duplicate_of is not null) as duplicates,
        count(*) filter (where a.duplicate_of is null) as stories,
        count(*) filter (where a.duplicate_of is null and a.published_date is null) as no_date,
        count(*) filter (where a.duplicate_of is null and aa.article_id is null) as no_author,
        count(*) filter (where a.duplicate_of is null and a.word_count = 0) as empty_body
    from articles as a
    left join article_authors as aa on aa.article_id = a.article_id
    group by a.source_id
)

select
    s.name as source,
    coalesce(p.pages, 0) as pages,
    coalesce(f.rejected_fetch, 0) as rejected_fetch,
    coalesce(p.rejected_extract, 0) as rejected_extract,
    round((coalesce(f.rejected_fetch, 0) + coalesce(p.rejected_extract, 0))::numeric
          / nullif(coalesce(p.pages, 0) + coalesce(f.rejected_fetch, 0), 0), 4) as reject_rate,
    r.reject_reasons,
    coalesce(q.articles, 0) as articles,
    coalesce(q.stories, 0) as stories,
    round(q.duplicates::numeric / nullif(q.articles, 0), 4) as duplicate_rate,
    round(q.no_date::numeric / nullif(q.stories, 0), 4) as no_date_share,
    round(q.no_author::numeric / nullif(q.stories, 0), 4) as no_author_share,
    round(q.empty_body::numeric / nullif(q.stories, 0), 4) as empty_body_share
from sources as s
left join fetch_state as f on f.source_id = s.source_id
left join page_state as p on p.source_id = s.source_id
left join reasons as r on r.source_id = s.source_id
left join article_quality as q on q.source_id = s.source_id;
