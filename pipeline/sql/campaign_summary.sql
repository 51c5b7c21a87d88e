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
        sum(impressions)::bigint as impressions,
        sum(clicks)::bigint as clicks,
        sum(conversions)::bigint as conversions,
        sum(orders)::bigint as orders,
        sum(revenue) as revenue,
        sum(ad_spend) as ad_spend,
        sum(cogs) as cogs,
        sum(invalid_clicks)::bigint as invalid_clicks,
        sum(invalid_revenue) as invalid_revenue,
        sum(clicks) filter (where period = 'cur') / nullif(sum(impressions) filter (where period = 'cur'), 0) as ctr_cur,
        sum(clicks) filter (where period = 'prev') / nullif(sum(impressions) filter (where period = 'prev'), 0) as ctr_prev,
        sum(conversions) filter (where period = 'cur') / nullif(sum(clicks) filter (where period = 'cur'), 0) as cvr_cur,
        sum(conversions) filter (where period = 'prev') / nullif(sum(clicks) filter (where period = 'prev'), 0) as cvr_prev,
        sum(revenue) filter (where period = 'cur') / nullif(sum(ad_spend) filter (where period = 'cur'), 0) as roas_cur,
        sum(revenue) filter (where period = 'prev') / nullif(sum(ad_spend) filter (where period = 'prev'), 0) as roas_prev,
        sum(impressions) filter (where period = 'cur') as imps_cur,
        sum(impressions) filter (where period = 'prev') as imps_prev
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
        -- ratios
        clicks / nullif(impressions, 0) as ctr,
        conversions / nullif(clicks, 0) as cvr,
        ad_spend / nullif(impressions, 0) * 1000 as cpm,
        ad_spend / nullif(clicks, 0) as cpc,
        ad_spend / nullif(conversions, 0) as cpa,
        revenue / nullif(ad_spend, 0) as roas,
        (revenue - cogs) / nullif(ad_spend, 0) as net_roas,
        (revenue - cogs - ad_spend) / nullif(ad_spend, 0) as roi,
        invalid_clicks,
        (revenue - invalid_revenue) / nullif(ad_spend, 0) as roas_fraud_adjusted,
        -- lift
        cast(getvariable('period_days') as bigint) as period_days,
        100 * (ctr_cur - ctr_prev) / nullif(ctr_prev, 0) as ctr_lift_pct,
        100 * (cvr_cur - cvr_prev) / nullif(cvr_prev, 0) as cvr_lift_pct,
        100 * (roas_cur - roas_prev) / nullif(roas_prev, 0) as roas_lift_pct,
        100 * (imps_cur - imps_prev) / nullif(imps_prev, 0) as impressions_lift_pct
    from totals t
    join bounds b using (campaign_id)
    left join campaigns c using (campaign_id)
)

select * from final order by campaign_id
