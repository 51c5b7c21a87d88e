-- fraud_delivery: invalid traffic in ad delivery (stg_delivery) on day dt (signal 4).
--   clicks_over_impressions: more clicks than impressions, impossible for genuine traffic.
--   ctr_outlier: ctr_robust_z = (ln CTR - median) / sigma against the ad's own ad-days in the
--     fraud_ctr_window_days days up to dt when it has at least fraud_ctr_min_history of them,
--     else against every ad-day of its campaign in the window (at least as many). Baseline
--     ad-days: clicks <= impressions and at least fraud_ctr_min_impressions impressions (so the
--     spread is the ads' own, not the counting noise of tiny ad-days).
--     sigma = sqrt(greatest(1.4826 * MAD, fraud_ctr_scale_floor)^2 + 1 / expected clicks):
--     the baseline's spread plus the counting noise of the clicks expected at its median CTR
--     (Poisson: variance of ln(clicks) ~ 1 / clicks). CTR = (clicks + 0.5) / impressions.
--     That approximation fails on small counts (43 clicks from 44 impressions where one click
--     is expected scores only about 3.8), so the clicks are also tested as a count:
--     click_count_z = the Wilson-Hilferty normal score of a Poisson count (clicks) against the
--     most clicks the baseline allows, impressions * exp(median + fraud_ctr_z * scale)
--     (the CTR fraud_ctr_z of its own spreads above its median). Flag when either score
--     reaches fraud_ctr_z.
-- Conversions above clicks are NOT flagged: platforms count view-through conversions.
with

window_rows as (
    select
        campaign_id,
        platform,
        ad_id,
        account_id,
        dt,
        impressions,
        clicks,
        ln((clicks + 0.5) / impressions) as log_ctr
    from stg_delivery
    where dt between getvariable('dt') - to_days(cast(getvariable('fraud_ctr_window_days') as integer) - 1)
        and getvariable('dt')
        and impressions > 0
        and clicks is not null
),

baseline_rows as (
    select *
    from window_rows
    where clicks <= impressions and impressions >= getvariable('fraud_ctr_min_impressions')
),

-- the ad's own distribution when it has enough ad-days in the window, else its campaign's
ad_median as (
    select campaign_id, ad_id, median(log_ctr) as med, count(*) as n
    from baseline_rows
    group by all
),

ad_stats as (
    select
        baseline_rows.campaign_id,
        baseline_rows.ad_id,
        any_value(ad_median.med) as med,
        any_value(ad_median.n) as n,
        1.4826 * median(abs(baseline_rows.log_ctr - ad_median.med)) as spread
    from baseline_rows
    join ad_median using (campaign_id, ad_id)
    group by all
),

campaign_median as (
    select campaign_id, median(log_ctr) as med, count(*) as n
    from baseline_rows
    group by all
),

campaign_stats as (
    select
        baseline_rows.campaign_id,
        any_value(campaign_median.med) as med,
        any_value(campaign_median.n) as n,
        1.4826 * median(abs(baseline_rows.log_ctr - campaign_median.med)) as spread
    from baseline_rows
    join campaign_median using (campaign_id)
    group by all
),

baseline as (
    select
        window_rows.campaign_id,
        window_rows.ad_id,
        case when ad_stats.n >= getvariable('fraud_ctr_min_history') then 'ad' else 'campaign' end
            as basis,
        case when ad_stats.n >= getvariable('fraud_ctr_min_history')
            then ad_stats.med else campaign_stats.med end as med,
        case when ad_stats.n >= getvariable('fraud_ctr_min_history')
            then ad_stats.n else campaign_stats.n end as n,
        greatest(
            case when ad_stats.n >= getvariable('fraud_ctr_min_history')
                then ad_stats.spread else campaign_stats.spread end,
            getvariable('fraud_ctr_scale_floor')
        ) as scale
    from (select distinct campaign_id, ad_id from window_rows where dt = getvariable('dt')) as window_rows
    left join ad_stats using (campaign_id, ad_id)
    left join campaign_stats using (campaign_id)
),

today as (
    select
        window_rows.*,
        baseline.basis,
        baseline.med,
        baseline.n,
        impressions * exp(baseline.med) as expected_clicks,
        (log_ctr - baseline.med)
            / sqrt(baseline.scale ^ 2 + 1.0 / greatest(impressions * exp(baseline.med), 1.0))
            as ctr_robust_z,
        impressions * exp(baseline.med + getvariable('fraud_ctr_z') * baseline.scale)
            as most_clicks,
        -- Wilson-Hilferty: P(Poisson(lambda) >= x) ~ 1 - Phi(3 sqrt(x) (1 - 1/(9x) - (lambda/x)^(1/3)))
        case when clicks > 0 then
            3 * sqrt(clicks) * (1 - 1 / (9.0 * clicks) - (most_clicks / clicks) ^ (1.0 / 3))
        end as click_count_z
    from window_rows
    left join baseline using (campaign_id, ad_id)
    where window_rows.dt = getvariable('dt')
),

over as (
    select
        'clicks_over_impressions' as signal,
        'high' as severity,
        cast(clicks as double) as observed,
        cast(impressions as double) as expected,
        cast(impressions as double) as threshold,
        printf('ad %s of campaign %s reported %,d clicks for only %,d impressions on %s: more clicks than impressions cannot be genuine',
            ad_id, campaign_id, clicks, impressions, strftime(getvariable('dt'), '%Y-%m-%d'))
            as explanation,
        today.*
    from today
    where clicks > impressions
),

ctr as (
    select
        'ctr_outlier' as signal,
        case when greatest(ctr_robust_z, click_count_z) >= 2 * getvariable('fraud_ctr_z')
            then 'high' else 'medium' end as severity,
        clicks / impressions as observed,
        exp(med) as expected,
        getvariable('fraud_ctr_z') as threshold,
        printf('ad %s of campaign %s: CTR %.2f%% on %s (%,d clicks, %,d impressions) against the %s''s usual %.2f%% (about %,d clicks expected; %.1f robust SDs, flag above %.1f)',
            ad_id, campaign_id, 100 * clicks / impressions, strftime(getvariable('dt'), '%Y-%m-%d'),
            clicks, impressions, case when basis = 'ad' then 'ad' else 'campaign' end, 100 * exp(med), cast(round(expected_clicks) as bigint),
            ctr_robust_z, getvariable('fraud_ctr_z'))
        || case when ctr_robust_z < getvariable('fraud_ctr_z') then printf(
            '; counted as clicks, %,d is beyond chance even at the highest CTR the usual spread allows (%.1f clicks; %.1f SDs)',
            clicks, most_clicks, click_count_z) else '' end as explanation,
        today.*
    from today
    where n >= getvariable('fraud_ctr_min_history')
        and (ctr_robust_z >= getvariable('fraud_ctr_z') or click_count_z >= getvariable('fraud_ctr_z'))
)

select
    'delivery' as entity_type,
    ad_id as entity_id,
    platform,
    account_id,
    campaign_id,
    signal,
    severity,
    observed,
    expected,
    threshold,
    explanation
from (
    select * from over
    union all by name
    select * from ctr
)
