"""The Word2Vec baseline's rank of each tested user's target: recs_bought_next_word2vec's cosine
for the user's last item, over every item of I' with a vector, the seed excluded. Users whose
last item has no vector are eval_target_ranks' (popularity, as recs_next_order_word2vec does).
"""

from btrnn.similarity import word2vec_target_ranks


def model(dbt, session):
    return word2vec_target_ranks(
        dbt.ref("item_embeddings"),
        dbt.ref("int_label_vocabulary"),
        dbt.ref("int_eval_test_inputs"),
        dbt.ref("int_eval_candidates").count(),
    )
