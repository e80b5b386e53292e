-- reporting.daily_volume: one row per day, source and language: how many stories, how many of
-- them dated only by when they were first seen, and their words.
create or replace view reporting.daily_volume as
with stories as (
    select day, day_source, source, language, word_count
    from reporting.stories
)

select
    day,
    source,
    language,
    count(*) as articles,
    count(*) filter (where day_source = 'first_seen') as undated,
    sum(word_count) as words
from stories
group by day, source, language;
