-- a batch's LSH bands, one row per article and band, in one binary COPY (the batch's old bands were
-- deleted first, under the dedup lock: nothing can conflict)
copy article_lsh_bands (band, bucket, article_id) from stdin (format binary)
