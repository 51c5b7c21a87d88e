-- campaign_summary: one row per campaign, campaign-to-date as of getvariable('dt') (the
-- campaign_daily rows up to that day), with lift of the last period_days days of the campaign
-- (ending at its last day with data) against the period of equal length just before.
-- lift_pct = 100 * (current - previous) / previous, for ctr, cvr, roas and impressions; NULL when
-- the previous value is NULL or zero. Ratios are recomputed from totals (never averaged).
with

campaigns as (
    select campaign_id, any_value(brand) as brand from stg_campaigns
    where dt = (select max(dt) from stg_campaigns where dt <= getvariable('dt'))
    group by campaign_id
),

daily as (
    select * from campaign_daily where dt <= getvariable('dt')
),

bounds as (
    select campaign_id, min(dt) as first_dt, max(dt) as last_dt, any_value(currency) as currency
    from daily group by campaign_id
),

periods as (
    select
        d.campaign_id,
        case
            when d.dt > b.last_dt - to_days(cast(getvariable('period_days') as integer)) then 'cur'
            when d.dt > b.last_dt - to_days(2 * cast(getvariable('period_days') as integer)) then 'prev'
        end as period,
        d.*
    from daily d join bounds b using (campaign_id)
),

totals as (
    select
        campaign_id,
        -- campaign to date
        sum(impressions)::bigint as impressions,
        sum(clicks)::bigint as clicks,
        sum(conversions)::bigint as conversions,
        sum(orders)::bigint as orders,
        sum(revenue) as revenue,
        sum(ad_spend) as ad_spend,
        sum(cogs) as cogs,
        sum(invalid_clicks)::bigint as invalid_clicks,
        sum(invalid_revenue) as invalid_revenue,
        -- the current period and the one before
        sum(impressions) filter (where period = 'cur') as impressions_cur,
        sum(impressions) filter (where period = 'prev') as impressions_prev,
        sum(clicks) filter (where period = 'cur') as clicks_cur,
        sum(clicks) filter (where period = 'prev') as clicks_prev,
        sum(conversions) filter (where period = 'cur') as conversions_cur,
        sum(conversions) filter (where period = 'prev') as conversions_prev,
        sum(revenue) filter (where period = 'cur') as revenue_cur,
        sum(revenue) filter (where period = 'prev') as revenue_prev,
        sum(ad_spend) filter (where period = 'cur') as ad_spend_cur,
        sum(ad_spend) filter (where period = 'prev') as ad_spend_prev
    from periods
    group by campaign_id
),

final as (
    select
        -- ids
        t.campaign_id, c.brand, b.currency, b.first_dt, b.last_dt,
        -- totals
        impressions, clicks, conversions, orders,
        round(revenue, 6) as revenue, round(ad_spend, 6) as ad_spend, round(cogs, 6) as cogs,
        -- ratios (sql/macros/metrics.sql: NULL on a zero denominator)
        ctr(clicks, impressions) as ctr,
        cvr(conversions, clicks) as cvr,
        cpm(ad_spend, impressions) as cpm,
        cpc(ad_spend, clicks) as cpc,
        cpa(ad_spend, conversions) as cpa,
        roas(revenue, ad_spend) as roas,
        net_roas(revenue, cogs, ad_spend) as net_roas,
        roi(revenue, cogs, ad_spend) as roi,
        invalid_clicks,
        roas(revenue - invalid_revenue, ad_spend) as roas_fraud_adjusted,
        -- lift
        cast(getvariable('period_days') as bigint) as period_days,
        lift_pct(ctr(clicks_cur, impressions_cur), ctr(clicks_prev, impressions_prev))
            as ctr_lift_pct,
        lift_pct(cvr(conversions_cur, clicks_cur), cvr(conversions_prev, clicks_prev))
            as cvr_lift_pct,
        lift_pct(roas(revenue_cur, ad_spend_cur), roas(revenue_prev, ad_spend_prev))
            as roas_lift_pct,
        lift_pct(impressions_cur, impressions_prev) as impressions_lift_pct
    from totals t
    join bounds b using (campaign_id)
    left join campaigns c using (campaign_id)
)

select * from final order by campaign_id
