{#
  P(next = j | seed) from "bought right after" counts, smoothed towards popularity:
  (count(seed -> j) + alpha * share(j)) / (count(seed -> any) + alpha). One scale for every
  candidate, so items seen after the seed rank first and popularity orders the rest.
#}
{% macro cooccurrence_score(pair_count, seed_total, purchase_share, alpha=1.0) %}
  ((coalesce({{ pair_count }}, 0) + {{ alpha }} * {{ purchase_share }})
    / (coalesce({{ seed_total }}, 0) + {{ alpha }}))
{% endmacro %}
