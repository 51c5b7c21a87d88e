-- fraud_engagement_peers: each account's engagement rate (influencer_daily, DESIGN section 4)
-- on day dt against its peers, the accounts of the same platform and size tier that day.
-- Size tiers by followers (size_tier, sql/fraud_macros.sql): nano < 10k, micro < 100k,
-- mid < 500k, macro < 1M, mega >= 1M.
-- engagement_robust_z = (ln ER - median ln ER of the peers) / (1.4826 * MAD of the peers),
-- NULL with fewer than fraud_er_min_peers peers. Used by fraud_engagement (the flag) and
-- audience_quality (the engagement component of the score).
with

rated as (
    select
        platform,
        account_id,
        followers,
        engagement_rate,
        ln(engagement_rate) as log_er,
        size_tier(followers) as tier
    from influencer_daily
    where dt = getvariable('dt') and engagement_rate > 0
),

peer_median as (
    select platform, tier, median(log_er) as med, count(*) as peers
    from rated
    group by all
),

peer_stats as (
    select
        rated.platform,
        rated.tier,
        any_value(peer_median.med) as med,
        any_value(peer_median.peers) as peers,
        greatest(1.4826 * median(abs(rated.log_er - peer_median.med)), 1e-9) as scale
    from rated
    join peer_median using (platform, tier)
    group by all
)

select
    rated.platform,
    rated.account_id,
    rated.tier,
    rated.engagement_rate,
    exp(peer_stats.med) as peer_engagement_rate,
    peer_stats.peers,
    case when peer_stats.peers >= getvariable('fraud_er_min_peers')
        then (rated.log_er - peer_stats.med) / peer_stats.scale end as engagement_robust_z
from rated
join peer_stats using (platform, tier)
