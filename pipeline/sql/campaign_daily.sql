-- campaign_daily: one row per campaign x influencer (platform, account_id; both NULL for paid
-- ads) x day, for the days getvariable('first_dt') .. getvariable('last_dt').
-- Inputs: stg_campaigns (snapshot of the latest day <= run_dt), stg_orders, stg_delivery (API),
-- stg_delivery_files (file drops), fraud_flags (entity_type = 'delivery', entity_id = ad_id;
-- an empty view when that mart is absent), fx_rates (dt, currency, usd_per_unit).
-- Rules (DESIGN section 4):
-- * attribution: an order belongs to the deliverable whose promo code it used (case-insensitive),
--   else to the one whose utm_content it carries, if the order's day is within
--   [live_date, live_date + window_days]; several candidates: promo before UTM, then the one
--   whose campaign_id equals the order's utm_campaign, then the latest live_date.
-- * revenue: net_amount on the order's day; refunded_amount is subtracted on the order's day
--   too (DESIGN section 4), whenever the refund arrives: every nightly run rebuilds the
--   attribution window, so a late refund corrects the day its order was placed.
--   Cancelled, failed, pending and voided orders count for nothing. cogs on the order's day.
-- * currencies: every amount converted to the campaign currency at that day's FX rate.
-- * ad_spend = fee + seeding_cost on the deliverable's live_date + paid delivery spend that day.
-- * conversions, clicks, impressions: platform-reported (delivery); view-through conversions may
--   exceed clicks. orders = attributed shop orders.
-- * fraud: clicks and conversions of an ad-day flagged in fraud_flags are invalid; revenue
--   credited through UTM (click) attribution on a flagged influencer-day is invalid_revenue;
--   roas_fraud_adjusted = (revenue - invalid_revenue) / ad_spend.
-- * every ratio with a zero denominator is NULL.
with

campaigns as (
    select * from stg_campaigns
    where dt = (select max(dt) from stg_campaigns where dt <= getvariable('run_dt'))
),

campaign_currency as (
    select distinct campaign_id, currency as campaign_currency from campaigns
),

deliverables as (
    select
        campaign_id, platform, account_id, live_date, fee, seeding_cost,
        upper(trim(promo_code)) as promo_key,
        lower(trim(utm_content)) as utm_key
    from campaigns
    where account_id is not null
),

orders as (
    select
        order_id, currency, net_amount, refunded_amount, cogs_amount, utm_campaign,
        cast(created_at as date) as order_dt,
        case when refunded_amount > 0 then cast(created_at as date) end as refund_dt,
        upper(trim(promo_code)) as promo_key,
        lower(trim(utm_content)) as utm_key
    from stg_orders
    where dt >= getvariable('first_dt') - to_days(cast(getvariable('refund_horizon_days') as integer))
        and dt <= getvariable('last_dt')
        and coalesce(lower(status), '') not in ('cancelled', 'canceled', 'failed', 'pending', 'voided')
),

relevant as (
    select * from orders
    where order_dt between getvariable('first_dt') and getvariable('last_dt')
        or refund_dt between getvariable('first_dt') and getvariable('last_dt')
),

candidates as (
    select o.order_id, d.campaign_id, d.platform, d.account_id, d.live_date,
        'promo' as via, 1 as priority, o.utm_campaign
    from relevant o
    join deliverables d on o.promo_key = d.promo_key
        and o.order_dt between d.live_date and d.live_date + to_days(cast(getvariable('window_days') as integer))
    union all
    select o.order_id, d.campaign_id, d.platform, d.account_id, d.live_date,
        'utm' as via, 2 as priority, o.utm_campaign
    from relevant o
    join deliverables d on o.utm_key = d.utm_key
        and o.order_dt between d.live_date and d.live_date + to_days(cast(getvariable('window_days') as integer))
),

attributed as (
    select order_id, campaign_id, platform, account_id, via
    from candidates
    qualify row_number() over (
        partition by order_id
        order by priority, (coalesce(utm_campaign, '') = campaign_id) desc, live_date desc,
            campaign_id, platform, account_id
    ) = 1
),

order_events as (
    select a.campaign_id, a.platform, a.account_id, a.via, o.order_dt as dt, o.currency,
        o.net_amount as revenue, 0.0 as refunds, coalesce(o.cogs_amount, 0.0) as cogs, 1 as orders
    from relevant o join attributed a using (order_id)
    where o.order_dt between getvariable('first_dt') and getvariable('last_dt')
    union all
    select a.campaign_id, a.platform, a.account_id, a.via, o.refund_dt as dt, o.currency,
        0.0 as revenue, o.refunded_amount as refunds, 0.0 as cogs, 0 as orders
    from relevant o join attributed a using (order_id)
    where o.refund_dt between getvariable('first_dt') and getvariable('last_dt')
),

delivery as (
    select campaign_id, platform, account_id, ad_id, dt, impressions, clicks, conversions,
        spend, currency
    from stg_delivery
    where dt between getvariable('first_dt') and getvariable('last_dt')
    union all
    select campaign_id, platform, account_id, ad_id, dt, impressions, clicks, conversions,
        spend, currency
    from stg_delivery_files
    where dt between getvariable('first_dt') and getvariable('last_dt')
),

flagged_ads as (
    select distinct cast(entity_id as varchar) as ad_id, cast(dt as date) as dt
    from fraud_flags
    where entity_type = 'delivery'
        and dt between getvariable('first_dt') and getvariable('last_dt')
),

facts as (
    -- delivery: counts and paid spend
    select d.campaign_id, d.platform, d.account_id, d.dt,
        coalesce(d.impressions, 0) as impressions,
        coalesce(d.clicks, 0) as clicks,
        coalesce(d.conversions, 0) as conversions,
        0 as orders, 0.0 as revenue, 0.0 as refunds, 0.0 as cogs, 0.0 as fee,
        coalesce(d.spend, 0.0) * fx_from.usd_per_unit / fx_to.usd_per_unit as paid_spend,
        case when f.ad_id is not null then coalesce(d.clicks, 0) else 0 end as invalid_clicks,
        case when f.ad_id is not null then coalesce(d.conversions, 0) else 0 end as invalid_conversions,
        f.ad_id is not null as flagged,
        0.0 as utm_net
    from delivery d
    join campaign_currency c using (campaign_id)
    join fx_rates fx_to on fx_to.dt = d.dt and fx_to.currency = c.campaign_currency
    join fx_rates fx_from on fx_from.dt = d.dt
        and fx_from.currency = coalesce(d.currency, c.campaign_currency)
    left join flagged_ads f on f.ad_id = d.ad_id and f.dt = d.dt
    union all
    -- orders: revenue, refunds and cost of goods
    select e.campaign_id, e.platform, e.account_id, e.dt,
        0, 0, 0, e.orders,
        e.revenue * fx_from.usd_per_unit / fx_to.usd_per_unit,
        e.refunds * fx_from.usd_per_unit / fx_to.usd_per_unit,
        e.cogs * fx_from.usd_per_unit / fx_to.usd_per_unit,
        0.0, 0.0, 0, 0, false,
        case when e.via = 'utm' then (e.revenue - e.refunds) * fx_from.usd_per_unit / fx_to.usd_per_unit
            else 0.0 end
    from order_events e
    join campaign_currency c using (campaign_id)
    join fx_rates fx_to on fx_to.dt = e.dt and fx_to.currency = c.campaign_currency
    join fx_rates fx_from on fx_from.dt = e.dt and fx_from.currency = e.currency
    union all
    -- fees: the deliverable's fee and seeding cost on its live day
    select campaign_id, platform, account_id, live_date as dt,
        0, 0, 0, 0, 0.0, 0.0, 0.0, fee + seeding_cost, 0.0, 0, 0, false, 0.0
    from deliverables
    where live_date between getvariable('first_dt') and getvariable('last_dt')
),

daily as (
    select
        campaign_id, platform, account_id, dt,
        sum(impressions)::bigint as impressions,
        sum(clicks)::bigint as clicks,
        sum(conversions)::bigint as conversions,
        sum(orders)::bigint as orders,
        sum(revenue) - sum(refunds) as revenue,
        sum(refunds) as refunds,
        sum(fee) as fee,
        sum(paid_spend) as paid_spend,
        sum(fee) + sum(paid_spend) as ad_spend,
        sum(cogs) as cogs,
        sum(invalid_clicks)::bigint as invalid_clicks,
        sum(invalid_conversions)::bigint as invalid_conversions,
        bool_or(flagged) as flagged,
        sum(utm_net) as utm_net
    from facts
    group by campaign_id, platform, account_id, dt
),

final as (
    select
        -- ids
        d.campaign_id, d.platform, d.account_id, d.dt, c.campaign_currency as currency,
        -- totals
        impressions, clicks, conversions, orders,
        round(revenue, 6) as revenue, round(refunds, 6) as refunds, round(fee, 6) as fee,
        round(paid_spend, 6) as paid_spend, round(ad_spend, 6) as ad_spend,
        round(cogs, 6) as cogs,
        -- ratios (NULL on a zero denominator)
        clicks / nullif(impressions, 0) as ctr,
        conversions / nullif(clicks, 0) as cvr,
        ad_spend / nullif(impressions, 0) * 1000 as cpm,
        ad_spend / nullif(clicks, 0) as cpc,
        ad_spend / nullif(conversions, 0) as cpa,
        revenue / nullif(ad_spend, 0) as roas,
        (revenue - cogs) / nullif(ad_spend, 0) as net_roas,
        -- fraud
        invalid_clicks, invalid_conversions,
        round(case when flagged then utm_net else 0.0 end, 6) as invalid_revenue,
        (revenue - case when flagged then utm_net else 0.0 end) / nullif(ad_spend, 0)
            as roas_fraud_adjusted
    from daily d
    join campaign_currency c using (campaign_id)
)

select * from final
order by dt, campaign_id, platform nulls last, account_id nulls last
