-- the client that claimed a robots.txt fetch is done with it (stored, or failed: another may try)
delete from robots_fetches
where url = %(url)s
  and fetcher = %(fetcher)s
