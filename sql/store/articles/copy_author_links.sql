-- link a batch's articles to their authors, one row per article and author, in one binary COPY (the
-- stored articles' old links were deleted first, under the dedup lock: nothing can conflict)
copy article_authors (article_id, author_id, position) from stdin (format binary)
