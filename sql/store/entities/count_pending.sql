-- how much the resolution step has to do: one row
select count(*) from entity_pending
