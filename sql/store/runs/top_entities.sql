-- the entities of the stories a run wrote, by summed salience. Grain: one row per entity.
select
    e.name,
    e.type,
    count(distinct ae.article_id)::integer as articles,
    round(sum(ae.salience)::numeric, 2)::float8 as salience
from article_entities as ae
join articles as a on a.article_id = ae.article_id
join entities as e on e.entity_id = ae.entity_id
where a.run_id = %(run_id)s
  and a.duplicate_of is null
group by e.entity_id, e.name, e.type
order by sum(ae.salience) desc, e.name
limit %(limit)s
