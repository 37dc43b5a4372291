{#- Flag 1 exactly when the item has a (non-zero) Word2Vec part; flag 0 means the part is zeros. -#}
{% test feature_flag_matches_vector(model) %}
select *
from {{ model }}
where
    (element_at(features, 1) = 1.0) != has_vector
    or (not has_vector and exists(slice(features, 3, size(features) - 2), x -> x != 0))
    or (has_vector and not exists(slice(features, 3, size(features) - 2), x -> x != 0))
    or element_at(features, 2) <= 0 or element_at(features, 2) > 1
{% endtest %}
