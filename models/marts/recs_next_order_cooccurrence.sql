-- The co-occurrence baseline per user: the items most often bought right after the user's last
-- purchase (recs_bought_next_cooccurrence, labels kept). A last item without rows falls back
-- to the popularity baseline's rows.
{{ recs_from_last_purchase('recs_bought_next_cooccurrence') }}
