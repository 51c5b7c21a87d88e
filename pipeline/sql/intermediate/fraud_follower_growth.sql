-- fraud_follower_growth: one row per account on day dt with enough follower history: its
-- follower change against its own past (DESIGN section 5, signal 2), never against other
-- accounts. Read by fraud_growth.
--   rate_t          = (followers_t - followers_{t-1}) / followers_{t-1}, consecutive days only;
--   baseline        = median and robust_sd (1.4826 * MAD) of rate over the fraud_baseline_days
--                     days before dt (at least fraud_growth_min_history of them, else no row:
--                     missing history is not an error);
--   usual_delta     = median rate * yesterday's followers;
--   scale           = the largest of robust_sd * followers (the account's own spread),
--                     fraud_growth_scale_floor * followers (a floor for very regular accounts)
--                     and sqrt(|usual_delta| + 1) (a change is a count of follow and unfollow
--                     events: its noise is at least Poisson);
--   growth_robust_z = (delta - usual_delta) / scale.
with

accounts as (
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
    from accounts as cur
    join accounts as prev
        on prev.platform = cur.platform
        and prev.account_id = cur.account_id
        and prev.dt = cur.dt - interval 1 day
),

baseline as (
    select
        platform,
        account_id,
        median(rate) as med_rate,
        robust_sd(rate) as sd_rate,
        count(rate) as n_history
    from deltas
    where dt < getvariable('dt')
    group by all
),

today as (
    select
        deltas.*,
        baseline.med_rate,
        baseline.n_history,
        round(baseline.med_rate * deltas.followers_prev) as usual_delta,
        greatest(
            baseline.sd_rate * deltas.followers_prev,
            getvariable('fraud_growth_scale_floor') * deltas.followers_prev,
            sqrt(abs(baseline.med_rate * deltas.followers_prev) + 1)
        ) as scale
    from deltas
    join baseline using (platform, account_id)
    where deltas.dt = getvariable('dt')
        and baseline.n_history >= getvariable('fraud_growth_min_history')
),

growth_robust_z as (
    select today.*, robust_z(follower_delta, usual_delta, scale) as growth_robust_z
    from today
)

select * from growth_robust_z
