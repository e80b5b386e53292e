-- report quality-sources: one row per source
select source, pages, rejected_fetch, rejected_extract, reject_rate, reject_reasons, articles, stories,
       duplicate_rate, no_date_share, no_author_share, empty_body_share
from reporting.quality_sources
order by source
