-- entities that lead no story any more (found by the partial index on articles <= 0)
delete from reporting.leader_totals
where articles <= 0
