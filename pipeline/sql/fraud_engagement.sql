-- fraud_engagement: accounts whose engagement rate is far outside the band of their platform
-- and size tier on day dt (DESIGN section 5, signal 3): |engagement_robust_z| >= fraud_er_z,
-- the statistic from fraud_engagement_peers.
select
    'account' as entity_type,
    account_id as entity_id,
    platform,
    account_id,
    cast(null as varchar) as campaign_id,
    'engagement_rate_outlier' as signal,
    case when abs(engagement_robust_z) >= 2 * getvariable('fraud_er_z') then 'high' else 'medium' end
        as severity,
    engagement_rate as observed,
    peer_engagement_rate as expected,
    getvariable('fraud_er_z') as threshold,
    printf('engagement rate %.2f%% on %s, %.1f robust SDs %s the typical %.2f%% of the %d %s %s accounts (band: %.1f SDs)',
        100 * engagement_rate, strftime(getvariable('dt'), '%Y-%m-%d'), abs(engagement_robust_z),
        case when engagement_robust_z > 0 then 'above' else 'below' end, 100 * peer_engagement_rate,
        peers, tier, platform, getvariable('fraud_er_z')) as explanation
from engagement_peers
where abs(engagement_robust_z) >= getvariable('fraud_er_z')
