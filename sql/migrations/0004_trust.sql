-- 0004: trust boundaries (issue 14): the reader role reads the warehouse and nothing else, and an
-- article a page's rel=canonical names is never overwritten by a different story.
-- Never edit after it has landed; add a new numbered file instead.
--
-- The table pipeline_locks (one row per lock the pipeline takes) is not created here: the migration
-- lock is one of its rows, so etl/store/migrate.py creates it before any revision runs
-- (sql/store/pipeline_locks/create.sql), on an empty database too.

-- a page whose rel=canonical named another article of its site with a substantially different text:
-- it is kept under its own URL (url_hash = url_hash(url) = url_hash(canonical_url)) and the canonical
-- it gave is recorded here; null for every other article (etl/store/articles.py, canonical_keys)
alter table articles add column conflicting_canonical_url text;

do $$
declare
    db text := quote_ident(current_database());
begin
    -- PUBLIC's defaults on this database: CONNECT (any role of the server could log in here) and
    -- TEMPORARY (temp tables, views, sequences and functions in pg_temp). The migrating role, which is
    -- the role the pipeline runs as, keeps both; news_reader gets CONNECT only.
    execute 'revoke connect, temporary on database ' || db || ' from public';
    execute 'grant connect, temporary on database ' || db || ' to ' || quote_ident(current_user);
    if has_database_privilege('public', current_database(), 'connect')
       or has_database_privilege('public', current_database(), 'temporary') then
        raise warning 'PUBLIC keeps CONNECT/TEMPORARY on database %: the migrating role is not its owner. '
            'An admin can run: revoke connect, temporary on database % from public', db, db;
    end if;
    -- schema public: no CREATE for PUBLIC (the default since PostgreSQL 15; older clusters kept it)
    revoke create on schema public from public;
    -- large objects outlive the session that made them and anyone could create them: only roles
    -- granted these functions again may (nothing in the pipeline uses large objects; the server-side
    -- lo_import is a superuser's already). The functions belong to the bootstrap superuser: another
    -- migrating role cannot revoke them, and is told what an admin runs.
    begin
        revoke execute on function lo_create(oid), lo_creat(integer), lo_from_bytea(oid, bytea) from public;
    exception
        when insufficient_privilege then
            null;
    end;
    if has_function_privilege('public', 'lo_create(oid)', 'execute')
       or has_function_privilege('public', 'lo_creat(integer)', 'execute')
       or has_function_privilege('public', 'lo_from_bytea(oid, bytea)', 'execute') then
        raise warning 'PUBLIC can still create large objects in database %: revoking needs a superuser. '
            'An admin can run there: revoke execute on function lo_create(oid), lo_creat(integer), '
            'lo_from_bytea(oid, bytea) from public', db;
    end if;

    if not exists (select from pg_roles where rolname = 'news_reader') then
        raise warning 'role news_reader does not exist: its grants of 0004 were skipped (see 0002)';
        return;
    end if;
    execute 'grant connect on database ' || db || ' to news_reader';
    -- raw bytes and response headers are not an analyst's data: a stored page can be anything a
    -- source pointed at. Column grants, so a column added later is not readable until granted.
    revoke all on raw_pages, http_cache, fetch_log, pipeline_locks from news_reader;
    grant select (raw_page_id, url_hash, url, final_url, source_id, status_code, content_type, body_bytes,
                  body_sha256, fetched_at, run_id, process_status, processed_at, claimed_by, claim_expires_at,
                  redirects, process_attempts, deferred_run_id)
        on raw_pages to news_reader;
    grant select (url, last_status, checked_at, purpose, children) on http_cache to news_reader;
    grant select (fetch_id, run_id, url, status_code, error_class, bytes, elapsed_ms, attempt, fetched_at, host,
                  purpose, conditional, reason)
        on fetch_log to news_reader;
    -- pipeline_locks: nothing (a lock is `select ... for update`, which needs UPDATE; not even SELECT)
end
$$;
