-- pairs that lead no story together any more (found by the partial index on articles <= 0)
delete from reporting.pair_totals
where articles <= 0
