-- reporting.entity_pairs (materialized): one row per pair of entities (entity_a_id < entity_b_id)
-- found together among the 5 most salient entities of a story (ties by name). Over the stories with entities (n):
-- lift = articles * n / (articles_a * articles_b), how much more often the two meet than if they
-- were independent; pmi = ln(lift). Only the 5 most salient entities of each story count, so a pair
-- means "the story is about both" and a story adds at most 10 pairs. Pairs found in a single story
-- are dropped once the warehouse holds 1,000 stories with entities (they are most pairs, and noise);
-- a smaller warehouse keeps them.
create materialized view reporting.entity_pairs as
with stories as (
    select article_id
    from reporting.stories
),

article_entities as (
    select article_id, entity_id, salience
    from public.article_entities
),

entities as (
    select entity_id, name, type
    from public.entities
),

ranked as (
    select
        ae.article_id,
        ae.entity_id,
        row_number() over (partition by ae.article_id order by ae.salience desc, e.name, e.type) as position
    from article_entities as ae
    join stories as s on s.article_id = ae.article_id
    join entities as e on e.entity_id = ae.entity_id
),

leading_entities as (
    select article_id, entity_id
    from ranked
    where position <= 5
),

totals as (
    select count(distinct article_id) as stories
    from leading_entities
),

entity_counts as (
    select entity_id, count(*) as articles
    from leading_entities
    group by entity_id
),

pairs as (
    select
        a.entity_id as entity_a_id,
        b.entity_id as entity_b_id,
        count(*) as articles
    from leading_entities as a
    join leading_entities as b on b.article_id = a.article_id and b.entity_id > a.entity_id
    group by a.entity_id, b.entity_id
    having count(*) >= case when (select stories from totals) >= 1000 then 2 else 1 end
)

select
    p.entity_a_id,
    p.entity_b_id,
    p.articles,
    ca.articles as articles_a,
    cb.articles as articles_b,
    t.stories,
    p.articles::float8 * t.stories / (ca.articles::float8 * cb.articles) as lift,
    ln(p.articles::float8 * t.stories / (ca.articles::float8 * cb.articles)) as pmi
from pairs as p
join entity_counts as ca on ca.entity_id = p.entity_a_id
join entity_counts as cb on cb.entity_id = p.entity_b_id
cross join totals as t;

create unique index entity_pairs_key on reporting.entity_pairs (entity_a_id, entity_b_id);
create index entity_pairs_b_idx on reporting.entity_pairs (entity_b_id);
create index entity_pairs_articles_idx on reporting.entity_pairs (articles desc, lift desc, entity_a_id, entity_b_id);
