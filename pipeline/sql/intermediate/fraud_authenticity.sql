-- fraud_authenticity: accounts whose sampled audience credibility is below the market's rule
-- of thumb (authenticity_pct_28d < fraud_authenticity_min_pct, 75) on day dt (DESIGN section
-- 5, signal 1). Judged on the followers sampled that day and the 27 before
-- (fraud_audience_composition), at least fraud_auth_min_sampled of them: one day's sample
-- alone would flag and unflag an account at 75 % on sampling noise.
with

composition as (
    select * from audience_composition
),

flags as (
    select
        platform,
        account_id,
        'low_authenticity' as signal,
        case when authenticity_pct_28d < getvariable('fraud_authenticity_min_pct') - 25 then 'high' else 'medium' end
            as severity,
        authenticity_pct_28d as observed,
        100.0 as expected,
        getvariable('fraud_authenticity_min_pct') as threshold,
        printf('only %.0f%% of %d followers sampled in the 28 days to %s are estimated to be real people or influencers (%.0f%% labelled suspicious, corrected for the classifier error rates; today %.0f%% mass followers); below %.0f%% is often a sign of bought followers',
            authenticity_pct_28d, followers_sampled_28d, strftime(getvariable('dt'), '%Y-%m-%d'),
            suspicious_pct_28d, mass_followers_pct, getvariable('fraud_authenticity_min_pct')) as explanation
    from composition
    where followers_sampled_28d >= getvariable('fraud_auth_min_sampled')
        and authenticity_pct_28d < getvariable('fraud_authenticity_min_pct')
)

select * from flags
