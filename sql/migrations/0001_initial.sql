-- 0001: the warehouse's normalized tables. Grain of each table is stated above it.
-- Applied by Alembic (etl/migrations/versions/0001_initial.py); never edit after it has landed,
-- add a new numbered file instead.

-- one row per configured source (a feed, a sitemap, a folder of files, ...)
create table sources (
    source_id   bigserial primary key,
    name        text not null unique,
    kind        text not null check (kind in ('files', 'urls', 'feed', 'sitemap', 'warc')),
    location    text not null,
    options     jsonb not null default '{}'::jsonb,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);

-- one row per pipeline run (CLI or Airflow DAG run)
create table pipeline_runs (
    run_id         bigserial primary key,
    trigger        text not null,                 -- cli | airflow | test | ...
    external_id    text,                          -- Airflow dag_id/run_id when triggered there
    params         jsonb not null default '{}'::jsonb,
    status         text not null default 'running'
                   check (status in ('running', 'success', 'degraded', 'failed')),
    started_at     timestamptz not null default now(),
    finished_at    timestamptz,
    stage_timings  jsonb not null default '{}'::jsonb,  -- stage -> seconds
    counts         jsonb not null default '{}'::jsonb,  -- counter -> n
    error          text
);
create unique index pipeline_runs_external_id_key on pipeline_runs (external_id) where external_id is not null;

-- one row per URL ever discovered (canonicalized); the fetch queue. A row stays 'pending' until a
-- fetch settles it, so a run that dies midway loses nothing: the next run picks it up.
create table frontier (
    url_hash           char(64) primary key,      -- sha256 of the canonical URL (etl.urls.url_hash)
    url                text not null,
    source_id          bigint not null references sources on delete cascade,
    entry              jsonb not null default '{}'::jsonb,  -- feed/sitemap entry: title, published, guid
    status             text not null default 'pending'
                       check (status in ('pending', 'fetched', 'rejected')),
    discovered_at      timestamptz not null default now(),
    last_seen_run_id   bigint references pipeline_runs on delete set null,
    fetched_at         timestamptz,
    fetch_attempts     integer not null default 0,
    claimed_by         text,
    claim_expires_at   timestamptz,
    host               text not null default '',  -- lowercase host of url ('' for local reads): politeness key
    fetch_from         text,                      -- where the bytes are when not at url (a WARC record locator)
    next_fetch_at      timestamptz,               -- a transient failure waits until then before the next claim
    refetches          integer not null default 0 -- times a fetched URL was queued again for updates
);
create index frontier_pending_idx on frontier (discovered_at) where status = 'pending';
create index frontier_pending_host_idx on frontier (host, discovered_at) where status = 'pending';

-- one row per fetched document of a feed/sitemap URL: validators for conditional GET
create table http_cache (
    url            text primary key,
    etag           text,
    last_modified  text,
    last_status    integer,
    checked_at     timestamptz not null default now(),
    purpose        text,                          -- feed | sitemap | list | robots
    children       jsonb,                         -- a sitemap index's child sitemaps, reused on 304
    body           bytea                          -- robots.txt only: the rules, reused for a while
);

-- one row per fetched page (latest fetch of a frontier URL); the bytes stay so history can be
-- re-extracted without fetching again
create table raw_pages (
    raw_page_id        bigserial primary key,
    url_hash           char(64) not null unique references frontier on delete cascade,
    url                text not null,
    final_url          text not null,             -- after redirects
    source_id          bigint not null references sources on delete cascade,
    status_code        integer,
    headers            jsonb not null default '{}'::jsonb,
    content_type       text,
    body_gz            bytea not null,            -- gzip of the raw bytes as received
    body_bytes         integer not null,
    body_sha256        char(64) not null,
    fetched_at         timestamptz not null default now(),
    run_id             bigint references pipeline_runs on delete set null,
    process_status     text not null default 'pending'
                       check (process_status in ('pending', 'done', 'rejected')),
    processed_at       timestamptz,
    claimed_by         text,
    claim_expires_at   timestamptz,
    redirects          jsonb not null default '[]'::jsonb  -- URLs passed through before final_url
);
create index raw_pages_pending_idx on raw_pages (raw_page_id) where process_status = 'pending';
create index raw_pages_source_fetched_idx on raw_pages (source_id, fetched_at);

-- one row per canonical article URL
create table articles (
    article_id           bigserial primary key,
    url_hash             char(64) not null unique,   -- sha256 of canonical_url
    url                  text not null,              -- the URL it was fetched from
    canonical_url        text not null,
    source_id            bigint not null references sources on delete cascade,
    raw_page_id          bigint references raw_pages on delete set null,
    title                text,
    description          text,
    text                 text not null,
    language             char(2),
    published_at         timestamptz,                -- null when only the day is known
    published_date       date,                       -- the day, in the publisher's own offset
    published_precision  text check (published_precision in ('day', 'time')),
    modified_at          timestamptz,
    word_count           integer not null,
    content_hash         char(64) not null,          -- sha256 of normalized text: exact duplicates
    minhash              bytea,                      -- MinHash signature (128 x uint32) of word 5-grams
    duplicate_of         bigint references articles on delete set null,
    site_name            text,
    section              text,
    top_image            text,
    agency               text,                       -- Reuters, AP, AFP... when credited
    extractor            text not null,
    extractor_version    text not null,
    first_seen_at        timestamptz not null default now(),
    updated_at           timestamptz not null default now(),
    run_id               bigint references pipeline_runs on delete set null
);
create index articles_source_published_idx on articles (source_id, published_date);
create index articles_published_date_idx on articles (published_date);
create index articles_content_hash_idx on articles (content_hash);

-- near-duplicate lookup: one row per article and LSH band of its MinHash/SimHash signature
create table article_lsh_bands (
    band        smallint not null,
    bucket      bigint not null,
    article_id  bigint not null references articles on delete cascade,
    primary key (band, bucket, article_id)
);
create index article_lsh_bands_article_idx on article_lsh_bands (article_id);

-- one row per distinct author name
create table authors (
    author_id  bigserial primary key,
    name       text not null unique
);

-- one row per article and author (byline order kept)
create table article_authors (
    article_id  bigint not null references articles on delete cascade,
    author_id   bigint not null references authors on delete cascade,
    position    smallint not null,
    primary key (article_id, author_id)
);
create index article_authors_author_idx on article_authors (author_id);

-- one row per canonical entity (name and type)
create table entities (
    entity_id  bigserial primary key,
    name       text not null,
    type       text not null check (type in ('PERSON', 'ORG', 'GPE', 'LOC', 'NORP', 'EVENT',
                                             'PRODUCT', 'WORK_OF_ART', 'LAW', 'FAC')),
    unique (name, type)
);

-- one row per known variant spelling of an entity (seeded or learned)
create table entity_aliases (
    alias      text not null,
    type       text not null,
    entity_id  bigint not null references entities on delete cascade,
    source     text not null check (source in ('seed', 'learned', 'manual')),
    primary key (alias, type)
);
create index entity_aliases_entity_idx on entity_aliases (entity_id);

-- one row per article and entity
create table article_entities (
    article_id     bigint not null references articles on delete cascade,
    entity_id      bigint not null references entities on delete cascade,
    mention_count  integer not null check (mention_count > 0),
    first_offset   integer not null,     -- character offset of the first mention in title + text
    in_title       boolean not null,
    salience       real not null,
    primary key (article_id, entity_id)
);
create index article_entities_entity_idx on article_entities (entity_id, article_id);

-- one row per distinct keyword (lowercased)
create table keywords (
    keyword_id  bigserial primary key,
    keyword     text not null unique
);

-- one row per article and keyword
create table article_keywords (
    article_id  bigint not null references articles on delete cascade,
    keyword_id  bigint not null references keywords on delete cascade,
    primary key (article_id, keyword_id)
);
create index article_keywords_keyword_idx on article_keywords (keyword_id);

-- one row per fetch attempt
create table fetch_log (
    fetch_id     bigserial primary key,
    run_id       bigint references pipeline_runs on delete set null,
    url          text not null,
    status_code  integer,
    error_class  text,
    bytes        integer,
    elapsed_ms   integer,
    attempt      integer not null,
    fetched_at   timestamptz not null default now(),
    host         text,
    purpose      text,                          -- page | feed | sitemap | list | robots
    conditional  boolean not null default false,  -- sent If-None-Match / If-Modified-Since
    reason       text                           -- reject reason of this attempt, null when usable
);
create index fetch_log_run_idx on fetch_log (run_id);

-- one row per input that could not be used, with a machine-readable reason
create table rejects (
    reject_id   bigserial primary key,
    run_id      bigint references pipeline_runs on delete set null,
    source_id   bigint references sources on delete set null,
    url         text not null,
    url_hash    char(64),
    stage       text not null check (stage in ('discover', 'fetch', 'extract', 'entities', 'load')),
    reason      text not null,        -- e.g. empty_file, not_html, no_article_text, http_404
    detail      text,
    created_at  timestamptz not null default now()
);
create index rejects_run_idx on rejects (run_id);
create index rejects_reason_idx on rejects (stage, reason);
