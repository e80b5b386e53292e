-- 0002: the reporting layer's home and its reader. The report views themselves are one file each
-- in sql/reporting/, applied after this file by etl/migrations/versions/0002_reporting.py.
-- Never edit after it has landed; add a new numbered file instead.

create schema if not exists reporting;

-- one row per short form learned for two or more entities ("Biden" for Joe and Hunter Biden): never
-- used or learned as an alias again (sql/load/learn_aliases.sql)
create table blocked_aliases (
    alias       text not null,
    type        text not null,
    entity_ids  bigint[] not null,               -- the entities it was learned for
    blocked_at  timestamptz not null default now(),
    primary key (alias, type)
);

-- alias lookups in another case ("Nato"/"NATO" stay apart, "Reuters"/"REUTERS"... see resolve_entities.sql)
create index entity_aliases_lower_idx on entity_aliases (lower(alias), type);
-- the entity timeline report finds an entity by name in any case
create index entities_lower_name_idx on entities (lower(name));
-- the day every report uses: publication day, else the UTC day first seen; stories only
create index articles_story_day_idx on articles ((coalesce(published_date, (first_seen_at at time zone 'UTC')::date)))
    where duplicate_of is null;
create index articles_run_idx on articles (run_id);
create index rejects_source_idx on rejects (source_id);

-- news_reader: read-only access for analysts and SQL clients. Created NOLOGIN (a group role) when
-- missing; an admin gives people their own login in it, or makes it a login with a password
-- (doc/reporting.md). SELECT on the warehouse tables and the report views, and nothing else; default
-- privileges keep tables and views created later by the migrating role readable too.
do $$
begin
    if not exists (select from pg_roles where rolname = 'news_reader') then
        begin
            create role news_reader nologin;
        exception
            when duplicate_object then
                null;  -- another database of this server migrated at the same moment
            when insufficient_privilege then
                raise warning 'role news_reader not created: the migrating role lacks CREATEROLE. '
                    'An admin can create it (create role news_reader nologin) and re-run the grants '
                    'of sql/migrations/0002_reporting.sql.';
                return;
        end;
    end if;
    execute 'grant connect on database ' || quote_ident(current_database()) || ' to news_reader';
    grant usage on schema public, reporting to news_reader;
    grant select on all tables in schema public to news_reader;
    grant select on all tables in schema reporting to news_reader;
    alter default privileges in schema public grant select on tables to news_reader;
    alter default privileges in schema reporting grant select on tables to news_reader;
end
$$;

-- one row per report materialized view: when it was last refreshed and the newest article id it
-- had then (a newer article means the view is stale: `newsetl report` refreshes it before reading)
create table reporting.refresh_log (
    view_name       text primary key,
    refreshed_at    timestamptz not null,
    seconds         real not null,
    max_article_id  bigint
);
