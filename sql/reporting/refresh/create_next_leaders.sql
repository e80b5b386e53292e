-- a refresh's scratch table: the leading entities of the stories of the batch of days being computed,
-- compared with reporting.story_leaders before it is replaced (this session only; emptied at each commit)
create temporary table next_leaders (
    article_id  bigint primary key,
    day         date not null,
    entity_ids  bigint[] not null
) on commit delete rows
