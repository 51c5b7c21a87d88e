-- fraud_flags: one row per entity (account, post, ad delivery), day and signal
-- (DESIGN sections 4, 5).
-- The signal views (sql/intermediate/fraud_<name>.sql) each give the signal columns (signal,
-- severity, observed, expected, threshold, explanation) and the keys of their entity: platform
-- and account_id, plus post_id for a post and campaign_id and ad_id for an ad delivery. This
-- model states the row of the mart once: the entity, then the signal columns.
-- The thresholds come from expectations/marts/fraud_flags.json (pipeline.fraud.thresholds).
-- observed / expected / threshold are in the unit of the signal's statistic: robust z for
-- growth, the ratio itself for post ratios and CTR (threshold = the robust-z cut), percent for
-- authenticity, clicks for clicks_over_impressions, the engagement growth factor (expected: the
-- follower growth factor) for growth_without_engagement.
with

account_flags as (
    select * from fraud_growth
    union all by name
    select * from fraud_engagement
    union all by name
    select * from fraud_decoupling
    union all by name
    select * from fraud_authenticity
),

post_flags as (
    select * from fraud_posts
),

delivery_flags as (
    select * from fraud_delivery
),

flags as (
    select 'account' as entity_type, account_id as entity_id, * from account_flags
    union all by name
    select 'post' as entity_type, post_id as entity_id, * exclude (post_id) from post_flags
    union all by name
    select 'delivery' as entity_type, ad_id as entity_id, * exclude (ad_id) from delivery_flags
),

final as (
    select
        -- the entity
        entity_type,
        entity_id,
        platform,
        account_id,
        campaign_id,
        -- the signal
        signal,
        severity,
        cast(observed as double) as observed,
        cast(expected as double) as expected,
        cast(threshold as double) as threshold,
        explanation
    from flags
)

select * from final
order by entity_type, platform, entity_id, signal
