-- the entity coverage of the stories of a report's days (from --since to --until): one row per language
select language, sum(stories)::bigint as stories, sum(with_entities)::bigint as with_entities
from reporting.entity_coverage
where (%(since)s::date is null or day >= %(since)s::date)
  and (%(until)s::date is null or day <= %(until)s::date)
group by language
