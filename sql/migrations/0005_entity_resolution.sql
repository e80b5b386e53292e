-- 0005: entities resolved by evidence across the warehouse, as their own step after the process
-- stage (etl/pipeline/resolve.py), instead of aliases learned row by row at load time.
-- Never edit after it has landed; add a new numbered file instead.

-- the key names are compared by: ASCII white space collapsed and trimmed, ASCII letters in lower
-- case. etl.entities.resolve.name_key is the same function (tests/test_entity_resolution.py).
create function entity_key(name text) returns text
language sql immutable strict parallel safe
return translate(regexp_replace(btrim(name, E' \t\n\r\f\x0b'), E'[ \t\n\r\f\x0b]+', ' ', 'g'),
                 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz');

-- one row per article and name: what the entity stage found in the article, before any decision
-- across articles; replaced whenever the article is loaded again
create table entity_mentions (
    article_id     bigint not null references articles on delete cascade,
    name_key       text not null,
    name           text not null,
    label          text not null check (label in ('PERSON', 'ORG', 'GPE', 'LOC', 'NORP', 'EVENT',
                                                  'PRODUCT', 'WORK_OF_ART', 'LAW', 'FAC')),
    mention_count  integer not null check (mention_count > 0),
    first_offset   integer not null,
    in_title       boolean not null,
    salience       real not null,           -- the name's share of the article
    primary key (article_id, name_key)
);
create index entity_mentions_key_idx on entity_mentions (name_key);

-- one row per article, short form and the longer name it was absorbed into there ("Trump" into
-- "Donald Trump"): the evidence of resolution across articles
create table entity_short_forms (
    article_id  bigint not null,
    short_key   text not null,
    long_key    text not null,
    long_label  text not null,               -- the longer name's label in that article
    primary key (article_id, short_key, long_key),
    foreign key (article_id, long_key) references entity_mentions (article_id, name_key) on delete cascade
);
create index entity_short_forms_short_idx on entity_short_forms (short_key);
create index entity_short_forms_long_idx on entity_short_forms (long_key);

-- one row per name key held by some article: the decision of the resolution step. alias_of: the
-- longer name the evidence makes it an alias of (null: none); canonical_key: the end of that chain;
-- entity_id: the entity its mentions count as (null when every mention resolved to it is overridden
-- or blocked); decided_by: evidence (an alias), seed or manual (an override named the canonical),
-- self.
create table entity_resolution (
    name_key       text primary key,
    alias_of       text,
    canonical_key  text not null,
    entity_id      bigint references entities,
    decided_by     text not null check (decided_by in ('evidence', 'seed', 'manual', 'self')),
    resolved_at    timestamptz not null default now()
);
create index entity_resolution_alias_idx on entity_resolution (alias_of);
create index entity_resolution_canonical_idx on entity_resolution (canonical_key);
create index entity_resolution_entity_idx on entity_resolution (entity_id);

-- what the resolution step has still to do: one row per article loaded (again) since, or per name
-- key whose evidence changed (an article lost it) or whose override changed (rebuild: the articles
-- holding it are re-derived). Rows are deleted by the resolution that handled them.
create table entity_pending (
    pending_id  bigserial primary key,
    article_id  bigint references articles on delete cascade,
    name_key    text,
    rebuild     boolean not null default false,
    queued_at   timestamptz not null default now(),
    check (num_nonnulls(article_id, name_key) = 1)
);

-- the blocklist (manual rows, or seeds): a name that never becomes a warehouse-wide alias of a
-- longer name (blocks = 'alias'), or that is no entity at all (blocks = 'entity')
create table entity_blocklist (
    name_key    text generated always as (entity_key(name)) stored,
    name        text not null,
    blocks      text not null check (blocks in ('alias', 'entity')),
    source      text not null default 'manual' check (source in ('seed', 'manual')),
    note        text,
    created_at  timestamptz not null default now(),
    primary key (name_key, blocks)
);

-- one row per resolution transaction: what it did and how long it took
create table entity_resolution_log (
    resolution_id  bigserial primary key,
    run_id         bigint references pipeline_runs on delete set null,
    finished_at    timestamptz not null default now(),
    pending        integer not null,
    keys_decided   integer not null,
    changed        integer not null,
    articles       integer not null,
    seconds        real not null
);

-- report views are stale after a resolution that re-derived article entities, too
alter table reporting.refresh_log add column max_resolution_id bigint;

-- ---------------------------------------------------------------------------------------------
-- The warehouse as it was: article_entities held the result of learned aliases (a short form
-- resolved once became an alias of that entity for every later article, in arrival order; 40% were
-- wrong: NASA -> "NASA Picks SpaceX"). Each link becomes the article's mention, except a link to an
-- entity a learned alias points at in an article whose title and text never name that entity: only
-- the alias made it, so it is counted under the alias the text holds (the longest one).
with learned as (
    select alias, entity_id
    from entity_aliases
    where source = 'learned'
),

links as (
    select ae.article_id, e.name, e.type, ae.mention_count, ae.first_offset, ae.in_title, ae.salience,
           exists (select 1 from learned as l where l.entity_id = e.entity_id) as aliased, e.entity_id
    from article_entities as ae
    join entities as e on e.entity_id = ae.entity_id
),

named as (
    select l.article_id, l.type, l.mention_count, l.first_offset, l.in_title, l.salience,
           coalesce(case when l.aliased
                              and strpos(lower(coalesce(a.title, '') || E'\n' || a.text), lower(l.name)) = 0
                         then (select la.alias
                               from learned as la
                               where la.entity_id = l.entity_id
                                 and strpos(lower(coalesce(a.title, '') || E'\n' || a.text), lower(la.alias)) > 0
                               order by length(la.alias) desc, la.alias
                               limit 1)
                    end, l.name) as name
    from links as l
    join articles as a on a.article_id = l.article_id
)

insert into entity_mentions (article_id, name_key, name, label, mention_count, first_offset, in_title, salience)
select
    article_id,
    entity_key(name),
    (array_agg(name order by mention_count desc, name))[1],
    (array_agg(type order by mention_count desc, type))[1],
    sum(mention_count)::integer,
    min(first_offset),
    bool_or(in_title),
    sum(salience)::real
from named
group by article_id, entity_key(name);

-- the learned aliases go, and with them what they blocked; seed and manual aliases stay
delete from entity_aliases where source = 'learned';
alter table entity_aliases drop constraint entity_aliases_source_check;
alter table entity_aliases add constraint entity_aliases_source_check check (source in ('seed', 'manual'));
drop table blocked_aliases;

-- every article is resolved again by the next resolution step
insert into entity_pending (article_id)
select article_id from articles order by article_id;

-- a seed or manual alias (or blocklist row) added, changed or removed: the names it spells are
-- decided again, and the articles holding them re-derived, by the next resolution step
create function entity_override_changed() returns trigger
language plpgsql as $$
begin
    -- tg_argv[0]: the column holding the spelling (alias or name)
    if tg_op in ('UPDATE', 'DELETE') then
        insert into entity_pending (name_key, rebuild) values (entity_key(to_jsonb(old) ->> tg_argv[0]), true);
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        insert into entity_pending (name_key, rebuild) values (entity_key(to_jsonb(new) ->> tg_argv[0]), true);
    end if;
    return null;
end
$$;

create trigger entity_aliases_changed after insert or update or delete on entity_aliases
for each row execute function entity_override_changed('alias');
create trigger entity_blocklist_changed after insert or update or delete on entity_blocklist
for each row execute function entity_override_changed('name');
