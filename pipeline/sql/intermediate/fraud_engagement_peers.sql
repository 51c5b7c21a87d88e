-- fraud_engagement_peers: each account's engagement rate (influencer_daily, DESIGN section 4)
-- on day dt against its peers, the accounts of the same platform and size tier that day.
-- Size tiers by followers (size_tier, sql/macros/fraud.sql): nano < 10k, micro < 100k,
-- mid < 500k, macro < 1M, mega >= 1M.
-- engagement_robust_z = (ln ER - median ln ER of the peers) / robust_sd of the peers (1.4826 *
-- MAD, sql/macros/robust.sql), NULL with fewer than fraud_er_min_peers peers. Used by fraud_engagement (the flag) and
-- audience_quality (the engagement component of the score).
with

daily as (
    select * from influencer_daily where dt = getvariable('dt')
),

rated as (
    select
        platform,
        account_id,
        followers,
        engagement_rate,
        ln(engagement_rate) as log_er,
        size_tier(followers) as tier
    from daily
    where engagement_rate > 0
),

peer_stats as (
    select
        platform,
        tier,
        median(log_er) as med,
        count(*) as peers,
        greatest(robust_sd(log_er), 1e-9) as scale
    from rated
    group by all
),

scored as (
    select
        rated.platform,
        rated.account_id,
        rated.tier,
        rated.engagement_rate,
        exp(peer_stats.med) as peer_engagement_rate,
        peer_stats.peers,
        case when peer_stats.peers >= getvariable('fraud_er_min_peers')
            then robust_z(rated.log_er, peer_stats.med, peer_stats.scale) end as engagement_robust_z
    from rated
    join peer_stats using (platform, tier)
)

select * from scored
