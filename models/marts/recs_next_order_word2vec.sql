-- The Word2Vec similarity baseline per user: the items of I' nearest (cosine) to the user's last
-- purchase (recs_bought_next_word2vec). A last item without a vector falls back to the
-- popularity baseline's rows, labelled 'popularity'.
{{ recs_from_last_purchase('recs_bought_next_word2vec') }}
