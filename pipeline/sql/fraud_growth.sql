-- fraud_growth: follower growth anomalies of accounts on day dt (DESIGN section 5, signal 2).
-- Rows in the fraud_flags shape; signals follower_spike and follower_purge.
--
-- Each account is compared with its own past, never with other accounts:
--   rate_t       = (followers_t - followers_{t-1}) / followers_{t-1}, consecutive days only;
--   baseline     = median and MAD of rate over the fraud_baseline_days days before dt (at
--                  least fraud_growth_min_history of them, else no flag: missing history is
--                  not an error); usual_delta = median rate * yesterday's followers;
--   scale        = the largest of 1.4826 * MAD * followers (the account's own spread),
--                  fraud_growth_scale_floor * followers (a floor for very regular accounts)
--                  and sqrt(|usual_delta| + 1) (a change is a count of follow and unfollow
--                  events: its noise is at least Poisson);
--   growth_robust_z = (delta - usual_delta) / scale.
-- A spike (z >= fraud_growth_z) is flagged unless a post published that day or the day before
-- went viral: first_day_ratio >= fraud_viral_ratio (fraud_viral_ratio_credible for an account
-- whose audience passed the authenticity bar the day before), where first_day_ratio is the post's
-- reach per hour on its publication day over the median of the account's earlier posts
-- in the baseline window (at least fraud_viral_min_posts of them), or, lacking those, its
-- engagement over the median engagement of the account's older posts in the day's snapshot,
-- or, for an account without any earlier post, its first-day engagement per hour per follower
-- over the median of its peers' posts (same platform and size tier, sql/fraud_macros.sql).
-- Medians are floored at one engagement (a day, for the per-hour rate): earlier posts that got
-- nothing make any engaged post stand out, not an undefined ratio. Rates are put in the units
-- of the platform's average format first (format_factor: a YouTube short gathers views faster
-- than a long video), so a short is not viral for beating the account's videos by as much as
-- shorts beat videos everywhere.
-- Reach is views where the platform reports them for the post and for the posts it is compared
-- with (what goes viral is reach; likes and comments can be bought, and an account that buys
-- them would make an honest viral post look ordinary), else likes + comments. Judged on views,
-- a post explains no more new followers than the extra views it had on its first day (views
-- beyond the account's usual): even a viral post turns a few percent of its viewers into
-- followers, not more than all of them.
-- When neither can be judged, the spike is flagged and the explanation says so. A purge
-- (z <= fraud_purge_z) is informational (severity info).
with

history as (
    select platform, account_id, dt, followers
    from stg_accounts
    where dt between getvariable('dt') - to_days(cast(getvariable('fraud_baseline_days') as integer) + 1)
        and getvariable('dt')
),

deltas as (
    select
        cur.platform,
        cur.account_id,
        cur.dt,
        cur.followers,
        prev.followers as followers_prev,
        cur.followers - prev.followers as follower_delta,
        (cur.followers - prev.followers) / nullif(prev.followers, 0) as rate
    from history as cur
    join history as prev
        on prev.platform = cur.platform
        and prev.account_id = cur.account_id
        and prev.dt = cur.dt - interval 1 day
),

baseline_median as (
    select platform, account_id, median(rate) as med_rate, count(rate) as n_history
    from deltas
    where dt < getvariable('dt')
    group by all
),

baseline as (
    select
        deltas.platform,
        deltas.account_id,
        any_value(baseline_median.med_rate) as med_rate,
        any_value(baseline_median.n_history) as n_history,
        median(abs(deltas.rate - baseline_median.med_rate)) as mad_rate
    from deltas
    join baseline_median using (platform, account_id)
    where deltas.dt < getvariable('dt')
    group by all
),

today as (
    select
        deltas.*,
        baseline.med_rate,
        baseline.n_history,
        round(baseline.med_rate * deltas.followers_prev) as usual_delta,
        greatest(
            1.4826 * baseline.mad_rate * deltas.followers_prev,
            getvariable('fraud_growth_scale_floor') * deltas.followers_prev,
            sqrt(abs(baseline.med_rate * deltas.followers_prev) + 1)
        ) as scale
    from deltas
    join baseline using (platform, account_id)
    where deltas.dt = getvariable('dt')
        and baseline.n_history >= getvariable('fraud_growth_min_history')
),

growth_robust_z as (
    select today.*, (follower_delta - usual_delta) / scale as growth_robust_z
    from today
),

-- every post (stories aside) on the snapshot of its publication day: its engagement so far
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
        history.followers
    from stg_posts as posts
    left join history
        on history.platform = posts.platform
        and history.account_id = posts.account_id
        and history.dt = posts.dt
    where posts.dt between getvariable('dt') - to_days(cast(getvariable('fraud_baseline_days') as integer) + 1)
        and getvariable('dt')
        and cast(posts.published_at as date) = posts.dt
        and coalesce(posts.media_type, '') <> 'story'
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
    from stg_posts as posts
    left join format_factor
        on format_factor.platform = posts.platform
        and format_factor.media_type = coalesce(posts.media_type, '')
    where posts.dt = getvariable('dt')
        and cast(posts.published_at as date) < getvariable('dt') - interval 1 day
        and coalesce(posts.media_type, '') <> 'story'
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
),

-- the audience as it stood the day before: one that passes the authenticity bar earns the
-- benefit of the doubt (fraud_viral_ratio_credible), one that fails it needs fraud_viral_ratio
credible as (
    select platform, account_id
    from audience_quality
    where dt = getvariable('dt') - interval 1 day
        and followers_sampled_28d >= getvariable('fraud_auth_min_sampled')
        and authenticity_pct_28d >= getvariable('fraud_authenticity_min_pct')
),

posts_judged as (
    select
        growth_robust_z.platform,
        growth_robust_z.account_id,
        first_day_ratio.first_day_ratio >= case
            when credible.account_id is not null then getvariable('fraud_viral_ratio_credible')
            else getvariable('fraud_viral_ratio')
        end as beat_usual,
        -- a post cannot bring more new followers than the extra people it reached
        coalesce(
            first_day_ratio.extra_views
                >= growth_robust_z.follower_delta - greatest(growth_robust_z.usual_delta, 0),
            true
        ) as reach_covers_gain,
        first_day_ratio.first_day_ratio is null as unjudged,
        first_day_ratio.extra_views
    from growth_robust_z
    join first_day_ratio using (platform, account_id)
    left join credible using (platform, account_id)
),

virality as (
    select
        platform,
        account_id,
        bool_or(beat_usual and reach_covers_gain) as viral,
        bool_or(beat_usual and not reach_covers_gain) as outgrown,
        max(extra_views) filter (where beat_usual) as extra_views,
        bool_or(unjudged) as unjudged
    from posts_judged
    group by all
),

scored as (
    select
        growth_robust_z.*,
        coalesce(virality.viral, false) as viral,
        coalesce(virality.outgrown, false) as outgrown,
        virality.extra_views,
        coalesce(virality.unjudged, false) as unjudged
    from growth_robust_z
    left join virality using (platform, account_id)
),

spikes as (
    select
        'account' as entity_type,
        account_id as entity_id,
        platform,
        account_id,
        cast(null as varchar) as campaign_id,
        'follower_spike' as signal,
        case when growth_robust_z >= 2 * getvariable('fraud_growth_z') then 'high' else 'medium' end
            as severity,
        growth_robust_z as observed,
        0.0 as expected,
        getvariable('fraud_growth_z') as threshold,
        printf('followers %+,d on %s (%+.1f%%), ', follower_delta, strftime(dt, '%Y-%m-%d'), 100 * rate)
        || case
            when usual_delta > 0 and follower_delta / usual_delta >= 2
                then printf('%,.0fx the account''s usual daily change of %+,d', follower_delta / usual_delta, cast(usual_delta as bigint))
            else printf('against the account''s usual daily change of %+,d', cast(usual_delta as bigint))
        end
        || printf(' (%.1f robust SDs, flag above %.1f); ', growth_robust_z, getvariable('fraud_growth_z'))
        || case
            when outgrown then printf('a post that day or the day before beat its usual reach, but by %,d views, fewer than the followers gained', cast(greatest(extra_views, 0) as bigint))
            when unjudged then 'neither earlier posts of the account nor enough posts of its peers to tell whether a post that day or the day before went viral'
            else 'no post that day or the day before went viral'
        end as explanation
    from scored
    where growth_robust_z >= getvariable('fraud_growth_z') and not viral
),

purges as (
    select
        'account' as entity_type,
        account_id as entity_id,
        platform,
        account_id,
        cast(null as varchar) as campaign_id,
        'follower_purge' as signal,
        'info' as severity,
        growth_robust_z as observed,
        0.0 as expected,
        getvariable('fraud_purge_z') as threshold,
        printf('followers %+,d on %s (%+.1f%%) against the account''s usual daily change of %+,d (%.1f robust SDs, flag below %.1f): a sudden loss, often a platform removing fake followers',
            follower_delta, strftime(dt, '%Y-%m-%d'), 100 * rate, cast(usual_delta as bigint),
            growth_robust_z, getvariable('fraud_purge_z')) as explanation
    from scored
    where growth_robust_z <= getvariable('fraud_purge_z')
)

select * from spikes
union all
select * from purges
