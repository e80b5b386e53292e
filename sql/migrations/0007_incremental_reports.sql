-- 0007: the report aggregates become tables maintained per publication day (issue 15), instead of
-- materialized views recomputed whole. Writes to articles, article_entities and entities record the
-- days whose aggregates they change in reporting.dirty_days (statement-level triggers over transition
-- tables: any insert, update or delete form, one row per statement and day); a refresh recomputes
-- those days only (sql/reporting/refresh/, etl/store/reporting.py). See doc/reporting.md.
-- Never edit after it has landed; add a new numbered file instead.

-- the materialized views they replace (the report views that read them were dropped before the
-- revisions ran, and are created again after them on these tables)
drop materialized view if exists reporting.entity_pairs cascade;
drop materialized view if exists reporting.entity_weekly cascade;
drop materialized view if exists reporting.entity_daily cascade;

-- one row per publication day (a story's day: published_date, else the UTC day first seen) and
-- statement that changed rows the report aggregates count on it. Rows are never updated: a refresh
-- deletes exactly the rows it read, so a mark made while it runs is kept for the next one.
create table reporting.dirty_days (
    mark_id    bigserial primary key,
    day        date not null,
    marked_at  timestamptz not null default now()
);
create index dirty_days_day_idx on reporting.dirty_days (day);

-- one row per entity and day on which stories mention it: stories, mentions, stories with it in the
-- title, summed salience, its rank among the day's entities by salience (1 = most salient; ties by
-- articles, then name and type, never by entity id), and the same figures of the day before (null
-- when not mentioned that day)
create table reporting.entity_daily (
    entity_id       bigint not null,
    day             date not null,
    articles        bigint not null,
    mentions        bigint not null,
    title_articles  bigint not null,
    salience        double precision not null,
    rank            bigint not null,
    prev_articles   bigint,
    prev_salience   double precision,
    prev_rank       bigint,
    primary key (entity_id, day)
);
create index entity_daily_day_rank_idx on reporting.entity_daily (day, rank);

-- one row per entity and ISO week (named by its Monday) in which stories mention it: the daily figures
-- summed, days mentioned, rank of the week, the previous week's figures (null when not mentioned
-- then), and rise_rank: the rank by salience gained over the previous week (1 = the biggest riser)
create table reporting.entity_weekly (
    entity_id       bigint not null,
    week            date not null,
    articles        bigint not null,
    mentions        bigint not null,
    title_articles  bigint not null,
    salience        double precision not null,
    days            bigint not null,
    rank            bigint not null,
    prev_articles   bigint,
    prev_salience   double precision,
    prev_rank       bigint,
    rise_rank       bigint not null,
    primary key (entity_id, week)
);
create index entity_weekly_week_rank_idx on reporting.entity_weekly (week, rank);
create index entity_weekly_week_rise_idx on reporting.entity_weekly (week, rise_rank);

-- one row per story with entities: its (at most) 5 most salient entities, most salient first (ties
-- by name and type). The co-occurrence totals below are sums over these rows.
create table reporting.story_leaders (
    article_id  bigint primary key,
    day         date not null,
    entity_ids  bigint[] not null
);
create index story_leaders_day_idx on reporting.story_leaders (day);

-- one row per day: the stories with entities on it (the n of lift)
create table reporting.leader_days (
    day      date primary key,
    stories  bigint not null
);

-- one row per entity leading at least one story: how many stories it leads (over every day)
create table reporting.leader_totals (
    entity_id  bigint primary key,
    articles   bigint not null
);
create index leader_totals_zero_idx on reporting.leader_totals (entity_id) where articles <= 0;

-- one row per pair of entities (entity_a_id < entity_b_id) leading a story together: in how many
-- stories (over every day). reporting.entity_pairs adds the lift and drops single-story pairs.
create table reporting.pair_totals (
    entity_a_id  bigint not null,
    entity_b_id  bigint not null,
    articles     bigint not null,
    primary key (entity_a_id, entity_b_id)
);
create index pair_totals_b_idx on reporting.pair_totals (entity_b_id);
create index pair_totals_articles_idx on reporting.pair_totals (articles desc, entity_a_id, entity_b_id);
create index pair_totals_zero_idx on reporting.pair_totals (entity_a_id) where articles <= 0;

-- the planner's estimate of how many stories a set of days holds (the refresh reads the stories of a
-- batch of days through articles_story_day_idx, a partial index, whose expression gets no statistics)
create statistics articles_story_day_stats on (coalesce(published_date, (first_seen_at at time zone 'UTC')::date))
from articles;

-- what each refresh did: incremental (the dirty days) or full (every day), and how many days
alter table reporting.refresh_log add column mode text;
alter table reporting.refresh_log add column days integer;

-- ---------------------------------------------------------------------------------------------
-- The marks. A story's aggregates depend on its day, on being a story (duplicate_of is null), on its
-- article_entities rows and on its entities' names and types (ties are broken by name).

-- articles: a story whose day or story-ness changed, on its old day and on its new one (a new
-- article has no entities yet: its links mark its day when they are written); a deleted story.
create function reporting.mark_article_days() returns trigger
language plpgsql as $$
begin
    if tg_op = 'UPDATE' then
        insert into reporting.dirty_days (day)
        select distinct m.day
        from old_rows as o
        join new_rows as n on n.article_id = o.article_id
        cross join lateral (
            values (case when o.duplicate_of is null
                         then coalesce(o.published_date, (o.first_seen_at at time zone 'UTC')::date) end),
                   (case when n.duplicate_of is null
                         then coalesce(n.published_date, (n.first_seen_at at time zone 'UTC')::date) end)
        ) as m (day)
        where (o.duplicate_of is null, coalesce(o.published_date, (o.first_seen_at at time zone 'UTC')::date))
              is distinct from
              (n.duplicate_of is null, coalesce(n.published_date, (n.first_seen_at at time zone 'UTC')::date))
          and m.day is not null
          and exists (select 1 from public.article_entities as ae where ae.article_id = n.article_id);
    elsif tg_op = 'DELETE' then
        insert into reporting.dirty_days (day)
        select distinct coalesce(o.published_date, (o.first_seen_at at time zone 'UTC')::date)
        from old_rows as o
        where o.duplicate_of is null;
    end if;
    return null;
end
$$;

-- article_entities: the day of each story whose links were added, changed or removed (an update that
-- leaves a row as it was marks nothing)
create function reporting.mark_article_entity_days() returns trigger
language plpgsql as $$
begin
    if tg_op = 'UPDATE' then
        insert into reporting.dirty_days (day)
        select distinct coalesce(a.published_date, (a.first_seen_at at time zone 'UTC')::date)
        from (
            select c.article_id from (select * from old_rows except select * from new_rows) as c
            union
            select c.article_id from (select * from new_rows except select * from old_rows) as c
        ) as changed
        join public.articles as a on a.article_id = changed.article_id
        where a.duplicate_of is null;
    elsif tg_op = 'INSERT' then
        insert into reporting.dirty_days (day)
        select distinct coalesce(a.published_date, (a.first_seen_at at time zone 'UTC')::date)
        from (select distinct article_id from new_rows) as changed
        join public.articles as a on a.article_id = changed.article_id
        where a.duplicate_of is null;
    else
        insert into reporting.dirty_days (day)
        select distinct coalesce(a.published_date, (a.first_seen_at at time zone 'UTC')::date)
        from (select distinct article_id from old_rows) as changed
        join public.articles as a on a.article_id = changed.article_id
        where a.duplicate_of is null;
    end if;
    return null;
end
$$;

-- entities: a new name or type changes ranks (ties go by name) on every day the entity is mentioned
-- (a deleted entity's links go by cascade, and mark their days themselves)
create function reporting.mark_entity_days() returns trigger
language plpgsql as $$
begin
    insert into reporting.dirty_days (day)
    select distinct d.day
    from old_rows as o
    join new_rows as n on n.entity_id = o.entity_id
    join reporting.entity_daily as d on d.entity_id = n.entity_id
    where (o.name, o.type) is distinct from (n.name, n.type);
    return null;
end
$$;

-- truncate: every day the aggregates hold
create function reporting.mark_all_days() returns trigger
language plpgsql as $$
begin
    insert into reporting.dirty_days (day)
    select day from reporting.leader_days;
    return null;
end
$$;

create trigger report_days_update after update on articles
referencing old table as old_rows new table as new_rows
for each statement execute function reporting.mark_article_days();
create trigger report_days_delete after delete on articles
referencing old table as old_rows
for each statement execute function reporting.mark_article_days();
create trigger report_days_truncate after truncate on articles
for each statement execute function reporting.mark_all_days();

create trigger report_days_insert after insert on article_entities
referencing new table as new_rows
for each statement execute function reporting.mark_article_entity_days();
create trigger report_days_update after update on article_entities
referencing old table as old_rows new table as new_rows
for each statement execute function reporting.mark_article_entity_days();
create trigger report_days_delete after delete on article_entities
referencing old table as old_rows
for each statement execute function reporting.mark_article_entity_days();
create trigger report_days_truncate after truncate on article_entities
for each statement execute function reporting.mark_all_days();

create trigger report_days_update after update on entities
referencing old table as old_rows new table as new_rows
for each statement execute function reporting.mark_entity_days();
create trigger report_days_truncate after truncate on entities
for each statement execute function reporting.mark_all_days();

-- the warehouse as it is: every day of a story with entities is to be computed by the first refresh
insert into reporting.dirty_days (day)
select distinct coalesce(a.published_date, (a.first_seen_at at time zone 'UTC')::date)
from articles as a
where a.duplicate_of is null
  and exists (select 1 from article_entities as ae where ae.article_id = a.article_id);
