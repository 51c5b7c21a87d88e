-- fraud_growth: follower growth anomalies of accounts on day dt (DESIGN section 5, signal 2):
-- one row per flagged account and signal, follower_spike or follower_purge, in the signal
-- columns of fraud_flags.
-- Each account is compared with its own past (growth_robust_z, fraud_follower_growth).
-- A spike (z >= fraud_growth_z) is flagged unless a post published that day or the day before
-- went viral (fraud_first_day_reach): first_day_ratio >= fraud_viral_ratio
-- (fraud_viral_ratio_credible for an account whose audience passed the authenticity bar the day
-- before), and, judged on views, the post explains no more new followers than the extra views
-- it had on its first day (views beyond the account's usual): even a viral post turns a few
-- percent of its viewers into followers, not more than all of them.
-- When neither can be judged, the spike is flagged and the explanation says so. A purge
-- (z <= fraud_purge_z) is informational (severity info).
with

growth as (
    select * from follower_growth
),

first_day as (
    select * from first_day_reach
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
        growth.platform,
        growth.account_id,
        first_day.first_day_ratio >= case
            when credible.account_id is not null then getvariable('fraud_viral_ratio_credible')
            else getvariable('fraud_viral_ratio')
        end as beat_usual,
        -- a post cannot bring more new followers than the extra people it reached
        coalesce(
            first_day.extra_views
                >= growth.follower_delta - greatest(growth.usual_delta, 0),
            true
        ) as reach_covers_gain,
        first_day.first_day_ratio is null as unjudged,
        first_day.extra_views
    from growth
    join first_day using (platform, account_id)
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
        growth.*,
        coalesce(virality.viral, false) as viral,
        coalesce(virality.outgrown, false) as outgrown,
        virality.extra_views,
        coalesce(virality.unjudged, false) as unjudged
    from growth
    left join virality using (platform, account_id)
),

spikes as (
    select
        platform,
        account_id,
        'follower_spike' as signal,
        flag_severity(growth_robust_z, getvariable('fraud_growth_z')) as severity,
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
        platform,
        account_id,
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
),

flags as (
    select * from spikes
    union all by name
    select * from purges
)

select * from flags
