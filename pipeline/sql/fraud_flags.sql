-- fraud_flags: one row per entity (account, post, ad delivery), day and signal
-- (DESIGN sections 4, 5). The signal models are the views fraud_growth, fraud_engagement,
-- fraud_decoupling, fraud_posts, fraud_delivery and fraud_authenticity
-- (sql/fraud_<name>.sql); the thresholds
-- come from expectations/marts/fraud_flags.json (pipeline.fraud.thresholds).
-- observed / expected / threshold are in the unit of the signal's statistic: robust z for
-- growth, the ratio itself for post ratios and CTR (threshold = the robust-z cut), percent for
-- authenticity, clicks for clicks_over_impressions, the engagement growth factor (expected: the
-- follower growth factor) for growth_without_engagement.
with

flags as (
    select * from fraud_growth
    union all by name
    select * from fraud_engagement
    union all by name
    select * from fraud_decoupling
    union all by name
    select * from fraud_posts
    union all by name
    select * from fraud_delivery
    union all by name
    select * from fraud_authenticity
)

select
    entity_type,
    entity_id,
    platform,
    account_id,
    campaign_id,
    signal,
    severity,
    cast(observed as double) as observed,
    cast(expected as double) as expected,
    cast(threshold as double) as threshold,
    explanation
from flags
order by entity_type, platform, entity_id, signal
