-- fold entities that a seed or manual alias now names into the alias's entity ("US"/GPE stored
-- before the seed existed -> United States): article links move over (counts and salience added,
-- earliest offset kept), learned aliases follow, and the folded entity is deleted
with merges as (
    select e.entity_id as from_id, a.entity_id as to_id
    from entities as e
    join entity_aliases as a on a.alias = e.name and a.type = e.type
    where a.entity_id <> e.entity_id
      and a.source in ('seed', 'manual')
),

moved_links as (
    select ae.article_id,
           m.to_id as entity_id,
           sum(ae.mention_count)::integer as mention_count,
           min(ae.first_offset) as first_offset,
           bool_or(ae.in_title) as in_title,
           sum(ae.salience)::real as salience
    from article_entities as ae
    join merges as m on m.from_id = ae.entity_id
    group by ae.article_id, m.to_id
),

links_in as (
    insert into article_entities (article_id, entity_id, mention_count, first_offset, in_title, salience)
    select article_id, entity_id, mention_count, first_offset, in_title, salience
    from moved_links
    on conflict (article_id, entity_id) do update
    set mention_count = article_entities.mention_count + excluded.mention_count,
        first_offset = least(article_entities.first_offset, excluded.first_offset),
        in_title = article_entities.in_title or excluded.in_title,
        salience = article_entities.salience + excluded.salience
),

aliases_moved as (
    update entity_aliases as a
    set entity_id = m.to_id
    from merges as m
    where a.entity_id = m.from_id
      and a.source = 'learned'
)

delete from entities as e
using merges as m
where e.entity_id = m.from_id
