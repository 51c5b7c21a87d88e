-- audience_quality: one row per account per day (DESIGN sections 4, 6).
-- Audience composition from the day's follower sample (fraud_audience_composition, classified
-- by pipeline.fraud.classify): real_pct + suspicious_pct + mass_followers_pct +
-- influencer_followers_pct = 100; authenticity_pct = real + influencers; reachability_pct =
-- followers following fewer than 1,500 accounts. NULL where no follower was sampled.
-- An account with no follower sample that day (a platform that gives none: YouTube, TikTok and
-- Instagram's Graph API, see the README) says so: followers_sampled = followers_sampled_28d =
-- 0 and every audience column NULL; its score rests on the other components.
-- followers_sampled_28d, authenticity_pct_28d and suspicious_pct_28d pool the day's sample with
-- the 27 days before (this mart's own earlier rows): the stable estimate of the audience.
-- authenticity_pct_28d corrects the pooled suspicious share for the classifier's known error
-- rates (Rogan-Gladen); authenticity_adj_pct judges each of the day's followers within its
-- audience (the account's own 28-day bot rate as the classifier's prior). Both in
-- fraud_audience_composition.
--
-- audience_quality_score (0-100) is a weighted mean of five components, each 0-100:
--   40 %  authenticity_pct_28d
--   15 %  reachability_pct
--   20 %  engagement_score   = 100 * r / (1 + r), r = engagement rate / median engagement
--                              rate of the platform and size tier (50 at the peer median,
--                              75 at three times it; fraud_engagement_peers)
--   15 %  growth_health      = 100 - 25 per day with a follower_spike flag in the 28 days up
--                              to dt (floored at 0; 100 without history: no evidence)
--   10 %  engagement_health  = 100 * (1 - share of the account's posts in the day's snapshot
--                              flagged likes_without_comments, comments_inflated or
--                              likes_without_views)
-- A component that cannot be computed (no sample, no post) is left out and the weights of the
-- others are rescaled, so the score stays on 0-100.
with

accounts as (
    select platform, account_id from stg_accounts where dt = getvariable('dt')
),

engagement as (
    select
        platform,
        account_id,
        100.0 * (engagement_rate / peer_engagement_rate)
            / (1.0 + engagement_rate / peer_engagement_rate) as engagement_score
    from engagement_peers
),

spike_days as (
    select platform, account_id, count(distinct dt) as spike_days
    from fraud_flags
    where entity_type = 'account'
        and signal = 'follower_spike'
        and dt between getvariable('dt') - interval 27 day and getvariable('dt')
    group by all
),

posts as (
    select platform, account_id, count(*) as posts
    from stg_posts
    where dt = getvariable('dt')
        and published_at < getvariable('dt') + interval 1 day
        and coalesce(media_type, '') <> 'story'
    group by all
),

flagged_posts as (
    select platform, account_id, count(distinct entity_id) as flagged
    from fraud_flags
    where dt = getvariable('dt')
        and entity_type = 'post'
        and signal in ('likes_without_comments', 'comments_inflated', 'likes_without_views')
    group by all
),

components as (
    select
        accounts.platform,
        accounts.account_id,
        coalesce(composition.followers_sampled, 0) as followers_sampled,
        composition.real_pct,
        composition.authenticity_pct,
        composition.suspicious_pct,
        composition.mass_followers_pct,
        composition.influencer_followers_pct,
        composition.reachability_pct,
        coalesce(composition.followers_sampled_28d, 0) as followers_sampled_28d,
        composition.authenticity_pct_28d,
        composition.suspicious_pct_28d,
        composition.authenticity_adj_pct,
        engagement.engagement_score,
        greatest(100.0 - 25.0 * coalesce(spike_days.spike_days, 0), 0.0) as growth_health,
        case when posts.posts > 0
            then 100.0 * (1.0 - coalesce(flagged_posts.flagged, 0) / posts.posts) end
            as engagement_health
    from accounts
    left join audience_composition as composition using (platform, account_id)
    left join engagement using (platform, account_id)
    left join spike_days using (platform, account_id)
    left join posts using (platform, account_id)
    left join flagged_posts using (platform, account_id)
),

scored as (
    select
        *,
        (
            coalesce(0.40 * authenticity_pct_28d, 0) + coalesce(0.15 * reachability_pct, 0)
            + coalesce(0.20 * engagement_score, 0) + coalesce(0.15 * growth_health, 0)
            + coalesce(0.10 * engagement_health, 0)
        ) / (
            0.40 * (authenticity_pct_28d is not null)::int + 0.15 * (reachability_pct is not null)::int
            + 0.20 * (engagement_score is not null)::int + 0.15 * (growth_health is not null)::int
            + 0.10 * (engagement_health is not null)::int
        ) as audience_quality_score
    from components
)

select * from scored
order by platform, account_id
