-- fraud_authenticity: accounts whose sampled audience credibility is below the market's rule
-- of thumb (authenticity_pct < fraud_authenticity_min_pct, 75) on day dt (DESIGN section 5,
-- signal 1). Needs at least fraud_auth_min_sampled sampled followers.
select
    'account' as entity_type,
    account_id as entity_id,
    platform,
    account_id,
    cast(null as varchar) as campaign_id,
    'low_authenticity' as signal,
    case when authenticity_pct < getvariable('fraud_authenticity_min_pct') - 25 then 'high' else 'medium' end
        as severity,
    authenticity_pct as observed,
    100.0 as expected,
    getvariable('fraud_authenticity_min_pct') as threshold,
    printf('only %.0f%% of %d sampled followers look like real people or influencers on %s (%.0f%% suspicious, %.0f%% mass followers); below %.0f%% is often a sign of bought followers',
        authenticity_pct, followers_sampled, strftime(getvariable('dt'), '%Y-%m-%d'),
        suspicious_pct, mass_followers_pct, getvariable('fraud_authenticity_min_pct')) as explanation
from audience_composition
where followers_sampled >= getvariable('fraud_auth_min_sampled')
    and authenticity_pct < getvariable('fraud_authenticity_min_pct')
