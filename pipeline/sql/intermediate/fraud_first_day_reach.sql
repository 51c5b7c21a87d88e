-- fraud_first_day_reach: one row per post (stories aside) published on day dt or the day before:
-- whether it went viral, the excuse for a follower spike that fraud_growth weighs (DESIGN section
-- 5, signal 2).
--   first_day_ratio = the post's reach per hour on its publication day over the median of the
--                     account's earlier posts in the baseline window (at least
--                     fraud_viral_min_posts of them), or, lacking those, its engagement over the
--                     median engagement of the account's older posts in the day's snapshot, or,
--                     for an account without any earlier post, its first-day engagement per hour
--                     per follower over the median of its peers' posts (same platform and size
--                     tier, size_tier in sql/macros/fraud.sql); NULL when none can be judged.
--   extra_views     = the views it had on its first day beyond what the account's usual post
--                     gets; NULL where it was judged on likes and comments.
-- Medians are floored at one engagement (a day, for the per-hour rate): earlier posts that got
-- nothing make any engaged post stand out, not an undefined ratio. Rates are put in the units
-- of the platform's average format first (format_factor: a YouTube short gathers views faster
-- than a long video), so a short is not viral for beating the account's videos by as much as
-- shorts beat videos everywhere.
-- Reach is views where the platform reports them for the post and for the posts it is compared
-- with (what goes viral is reach; likes and comments can be bought, and an account that buys
-- them would make an honest viral post look ordinary), else likes + comments.
with

accounts as (
    select platform, account_id, dt, followers
    from stg_accounts
    where dt between getvariable('dt') - to_days(cast(getvariable('fraud_baseline_days') as integer) + 1)
        and getvariable('dt')
),

posts as (
    select platform, account_id, post_id, dt, media_type, published_at, likes, comments, views
    from stg_posts
    where dt between getvariable('dt') - to_days(cast(getvariable('fraud_baseline_days') as integer) + 1)
        and getvariable('dt')
        and coalesce(media_type, '') <> 'story'
),

-- every post on the snapshot of its publication day: its engagement so far
-- and that per hour since publication (posts gather most engagement in their first hours,
-- so a per-hour rate makes a post of 3 hours comparable with one of 20)
first_day_raw as (
    select
        posts.platform,
        posts.account_id,
        posts.post_id,
        coalesce(posts.media_type, '') as media_type,
        cast(posts.published_at as date) as published_dt,
        posts.likes + posts.comments as engagement,
        nullif(posts.views, 0) as views,
        (posts.likes + posts.comments)
            / greatest(epoch(posts.dt + interval 1 day - posts.published_at) / 3600.0, 1.0) as per_hour,
        nullif(posts.views, 0)
            / greatest(epoch(posts.dt + interval 1 day - posts.published_at) / 3600.0, 1.0) as views_per_hour,
        accounts.followers
    from posts
    left join accounts
        on accounts.platform = posts.platform
        and accounts.account_id = posts.account_id
        and accounts.dt = posts.dt
    where cast(posts.published_at as date) = posts.dt
),

-- formats reach differently (a YouTube short gathers views faster than a long video, a reel
-- than a photo): a format's factor is the median first-day rate per follower of the
-- platform's posts of that format over that of all the platform's posts in the window (1 with
-- fewer than fraud_er_min_peers posts of the format, or a zero median), so that a post is
-- compared with the account's other posts as if they were all of its format
per_follower as (
    select
        platform,
        media_type,
        views_per_hour / followers as views_rate,
        per_hour / followers as engagement_rate
    from first_day_raw
    where followers > 0
),

platform_rates as (
    select platform, median(views_rate) as views_rate, median(engagement_rate) as engagement_rate
    from per_follower
    group by all
),

format_factor as (
    select
        per_follower.platform,
        per_follower.media_type,
        coalesce(case when count(per_follower.views_rate) >= getvariable('fraud_er_min_peers')
            then nullif(median(per_follower.views_rate), 0) / nullif(any_value(platform_rates.views_rate), 0)
        end, 1.0) as views_factor,
        coalesce(case when count(*) >= getvariable('fraud_er_min_peers')
            then nullif(median(per_follower.engagement_rate), 0) / nullif(any_value(platform_rates.engagement_rate), 0)
        end, 1.0) as engagement_factor
    from per_follower
    join platform_rates using (platform)
    group by all
),

-- the per-hour rates in the units of the platform's average format; engagement and views
-- stay as counted (the extra-views cap counts people)
first_day as (
    select
        first_day_raw.* replace (
            first_day_raw.per_hour / coalesce(format_factor.engagement_factor, 1.0) as per_hour,
            first_day_raw.views_per_hour / coalesce(format_factor.views_factor, 1.0) as views_per_hour
        ),
        coalesce(format_factor.views_factor, 1.0) as views_factor,
        coalesce(format_factor.engagement_factor, 1.0) as engagement_factor
    from first_day_raw
    left join format_factor using (platform, media_type)
),

candidates as (
    select * from first_day where published_dt >= getvariable('dt') - interval 1 day
),

-- first-day engagement per hour against the account's earlier posts' (the main test) ...
by_history as (
    select
        candidates.platform,
        candidates.account_id,
        candidates.post_id,
        case
            when count(past.views_per_hour) >= getvariable('fraud_viral_min_posts')
                then any_value(candidates.views_per_hour) / greatest(median(past.views_per_hour), 1.0 / 24)
        end as views_ratio,
        any_value(candidates.per_hour) / greatest(median(past.per_hour), 1.0 / 24) as engagement_ratio,
        count(past.post_id) as n_past
    from candidates
    left join first_day as past
        on past.platform = candidates.platform
        and past.account_id = candidates.account_id
        and past.published_dt < candidates.published_dt
        and past.published_dt >= candidates.published_dt
            - to_days(cast(getvariable('fraud_baseline_days') as integer))
    group by candidates.platform, candidates.account_id, candidates.post_id
),

-- ... or, without enough first-day history (a new warehouse), the first-day engagement against
-- the current engagement of the account's older posts in the day's snapshot (conservative:
-- those posts are further along)
older as (
    select
        posts.platform,
        posts.account_id,
        (posts.likes + posts.comments) / coalesce(format_factor.engagement_factor, 1.0) as engagement,
        nullif(posts.views, 0) / coalesce(format_factor.views_factor, 1.0) as views
    from posts
    left join format_factor
        on format_factor.platform = posts.platform
        and format_factor.media_type = coalesce(posts.media_type, '')
    where posts.dt = getvariable('dt')
        and cast(posts.published_at as date) < getvariable('dt') - interval 1 day
),

by_snapshot as (
    select
        candidates.platform,
        candidates.account_id,
        candidates.post_id,
        case
            when count(older.views) >= getvariable('fraud_viral_min_posts')
                then any_value(candidates.views / candidates.views_factor) / greatest(median(older.views), 1)
        end as views_ratio,
        any_value(candidates.engagement / candidates.engagement_factor) / greatest(median(older.engagement), 1)
            as engagement_ratio,
        count(older.engagement) as n_older
    from candidates
    left join older using (platform, account_id)
    group by candidates.platform, candidates.account_id, candidates.post_id
),

-- ... or, for an account with no earlier post at all, its first-day engagement per hour per
-- follower against the median of the posts of its peers (same platform and size tier) in the
-- window, given at least fraud_er_min_peers of them
peer_first_day as (
    select
        platform,
        size_tier(followers) as tier,
        median(views_per_hour / followers) as med_views,
        count(views_per_hour) as n_views,
        median(per_hour / followers) as med,
        count(*) as n
    from first_day
    where followers > 0
    group by all
),

by_peers as (
    select
        candidates.platform,
        candidates.account_id,
        candidates.post_id,
        case
            when peer_first_day.n_views >= getvariable('fraud_er_min_peers')
                then candidates.views_per_hour / candidates.followers / nullif(peer_first_day.med_views, 0)
        end as views_ratio,
        candidates.per_hour / candidates.followers / nullif(peer_first_day.med, 0) as engagement_ratio,
        peer_first_day.n as n_peer_posts
    from candidates
    join peer_first_day
        on peer_first_day.platform = candidates.platform
        and peer_first_day.tier = size_tier(candidates.followers)
    where candidates.followers > 0
),

-- the first baseline with enough posts, in this order: the account's earlier posts, its older
-- posts in the day's snapshot, its peers' posts
chosen_ratio as (
    select
        platform,
        account_id,
        post_id,
        case
            when by_history.n_past >= getvariable('fraud_viral_min_posts')
                then {'views': by_history.views_ratio, 'engagement': by_history.engagement_ratio}
            when by_snapshot.n_older >= getvariable('fraud_viral_min_posts')
                then {'views': by_snapshot.views_ratio, 'engagement': by_snapshot.engagement_ratio}
            when by_peers.n_peer_posts >= getvariable('fraud_er_min_peers')
                then {'views': by_peers.views_ratio, 'engagement': by_peers.engagement_ratio}
        end as ratio
    from by_history
    join by_snapshot using (platform, account_id, post_id)
    left join by_peers using (platform, account_id, post_id)
),

-- extra_views: the views the post had on its first day beyond what the account's usual post
-- gets (views x (1 - 1 / ratio)); NULL where the post was judged on likes and comments
first_day_ratio as (
    select
        chosen_ratio.platform,
        chosen_ratio.account_id,
        chosen_ratio.post_id,
        coalesce(ratio.views, ratio.engagement) as first_day_ratio,
        candidates.views * (1.0 - 1.0 / ratio.views) as extra_views
    from chosen_ratio
    join candidates using (platform, account_id, post_id)
)

select * from first_day_ratio
