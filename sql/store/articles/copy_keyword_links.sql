-- link a batch's articles to their keywords, one row per article and keyword, in one binary COPY (the
-- stored articles' old links were deleted first, under the dedup lock: nothing can conflict)
copy article_keywords (article_id, keyword_id) from stdin (format binary)
