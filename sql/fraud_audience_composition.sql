-- fraud_audience_composition: the follower sample of each account on day dt, by category.
-- Input `follower_classes`: stg_follower_samples of dt labelled by
-- pipeline.fraud.classify.classify_profiles (category real / mass_follower / influencer /
-- suspicious; suspicious wins over the size-based categories). Percentages of the sample:
--   real_pct + mass_followers_pct + influencer_followers_pct + suspicious_pct = 100;
--   authenticity_pct = real + influencers (DESIGN section 5);
--   reachability_pct = followers who follow fewer than 1,500 accounts (of those whose
--   following count is known).
-- Pooled over the day and the 27 before (the earlier days' counts come back from their
-- audience_quality rows, pct x followers_sampled): followers_sampled_28d, authenticity_pct_28d,
-- suspicious_pct_28d. A day's sample is small (tens of followers: +-10 points of sampling
-- error); 28 days of fresh samples bring that to a few points, at the cost of reacting to a
-- changed audience over weeks rather than overnight.
with

today as (
    select
        platform,
        account_id,
        count(*) as followers_sampled,
        count(*) filter (where category = 'real') as n_real,
        count(*) filter (where category = 'suspicious') as n_suspicious,
        count(*) filter (where category = 'mass_follower') as n_mass,
        count(*) filter (where category = 'influencer') as n_influencer,
        count(*) filter (where following_count < 1500) as n_reachable,
        count(following_count) as n_following_known
    from follower_classes
    group by all
),

earlier as (
    select
        platform,
        account_id,
        sum(followers_sampled) as sampled,
        sum(round(authenticity_pct * followers_sampled / 100.0)) as authentic,
        sum(round(suspicious_pct * followers_sampled / 100.0)) as suspicious
    from audience_quality
    where dt between getvariable('dt') - interval 27 day and getvariable('dt') - interval 1 day
        and followers_sampled > 0
    group by all
)

select
    platform,
    account_id,
    followers_sampled,
    100.0 * n_real / followers_sampled as real_pct,
    100.0 * n_suspicious / followers_sampled as suspicious_pct,
    100.0 * n_mass / followers_sampled as mass_followers_pct,
    100.0 * n_influencer / followers_sampled as influencer_followers_pct,
    100.0 * (n_real + n_influencer) / followers_sampled as authenticity_pct,
    100.0 * n_reachable / nullif(n_following_known, 0) as reachability_pct,
    followers_sampled + coalesce(earlier.sampled, 0) as followers_sampled_28d,
    100.0 * (n_real + n_influencer + coalesce(earlier.authentic, 0))
        / (followers_sampled + coalesce(earlier.sampled, 0)) as authenticity_pct_28d,
    100.0 * (n_suspicious + coalesce(earlier.suspicious, 0))
        / (followers_sampled + coalesce(earlier.sampled, 0)) as suspicious_pct_28d
from today
left join earlier using (platform, account_id)
