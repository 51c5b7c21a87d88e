-- fraud_audience_composition: the follower sample of each account on day dt, by category.
-- Input `follower_classes`: stg_follower_samples of dt labelled by
-- pipeline.fraud.classify.classify_profiles (category real / mass_follower / influencer /
-- suspicious; suspicious wins over the size-based categories). Percentages of the sample:
--   real_pct + mass_followers_pct + influencer_followers_pct + suspicious_pct = 100;
--   authenticity_pct = real + influencers (DESIGN section 5);
--   reachability_pct = followers who follow fewer than 1,500 accounts (of those whose
--   following count is known).
select
    platform,
    account_id,
    count(*) as followers_sampled,
    100.0 * count(*) filter (where category = 'real') / count(*) as real_pct,
    100.0 * count(*) filter (where category = 'suspicious') / count(*) as suspicious_pct,
    100.0 * count(*) filter (where category = 'mass_follower') / count(*) as mass_followers_pct,
    100.0 * count(*) filter (where category = 'influencer') / count(*) as influencer_followers_pct,
    100.0 * count(*) filter (where category in ('real', 'influencer')) / count(*)
        as authenticity_pct,
    100.0 * count(*) filter (where following_count < 1500)
        / nullif(count(following_count), 0) as reachability_pct
from follower_classes
group by all
