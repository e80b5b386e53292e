-- what the entity stage found in each article of a batch, one row per article and name key, in one
-- binary COPY (the articles' old evidence was cleared first: nothing can conflict)
copy entity_mentions (article_id, name_key, name, label, mention_count, first_offset, in_title, salience)
from stdin (format binary)
