-- ga4_campaign_daily: one row per campaign x influencer x day with the GA4 sessions, key events
-- (conversions) and revenue their tracking links brought, for the days
-- getvariable('first_dt') .. getvariable('last_dt'). Read by campaign_daily (columns web_*).
-- Inputs: stg_ga4_conversions (`clout ingest conversions`), stg_campaigns (snapshot of the
-- latest day <= run_dt), fx_rates (dt, currency, usd_per_unit).
-- Rules:
-- * a GA4 row belongs to the deliverable whose utm_content equals its sessionManualAdContent
--   (case-insensitive, trimmed), on or after the deliverable's live_date; several candidates:
--   the one whose campaign_id equals sessionCampaignName (utm_campaign), then the latest
--   live_date. Rows matching no deliverable stay in stg_ga4_conversions only.
-- * revenue converted from the export's currency to the campaign currency at the day's FX rate.
with

campaigns as (
    select * from stg_campaigns
    where dt = (select max(dt) from stg_campaigns where dt <= getvariable('run_dt'))
),

deliverables as (
    select
        campaign_id, platform, account_id, live_date, currency as campaign_currency,
        lower(trim(utm_content)) as utm_key
    from campaigns
    where account_id is not null and utm_content is not null
),

ga4_daily as (
    select
        dt, currency,
        lower(trim(session_manual_ad_content)) as utm_key,
        lower(trim(coalesce(session_campaign_name, ''))) as campaign_key,
        sum(sessions) as sessions, sum(conversions) as conversions, sum(revenue) as revenue
    from stg_ga4_conversions
    where dt between getvariable('first_dt') and getvariable('last_dt')
        and session_manual_ad_content is not null
    group by all
),

attributed as (
    select g.*, d.campaign_id, d.platform, d.account_id, d.campaign_currency
    from ga4_daily g
    join deliverables d on d.utm_key = g.utm_key and g.dt >= d.live_date
    qualify row_number() over (
        partition by g.dt, g.currency, g.utm_key, g.campaign_key
        order by (g.campaign_key = lower(d.campaign_id)) desc, d.live_date desc,
            d.campaign_id, d.platform, d.account_id
    ) = 1
),

converted as (
    select
        -- ids
        a.campaign_id, a.platform, a.account_id, a.dt,
        -- numerics (campaign currency)
        a.sessions, a.conversions,
        a.revenue * fx_from.usd_per_unit / fx_to.usd_per_unit as revenue
    from attributed a
    join fx_rates fx_to on fx_to.dt = a.dt and fx_to.currency = a.campaign_currency
    join fx_rates fx_from on fx_from.dt = a.dt and fx_from.currency = a.currency
),

final as (
    select
        campaign_id, platform, account_id, dt,
        sum(sessions)::bigint as web_sessions,
        sum(conversions)::double as web_conversions,
        sum(revenue)::double as web_revenue
    from converted
    group by campaign_id, platform, account_id, dt
)

select * from final
