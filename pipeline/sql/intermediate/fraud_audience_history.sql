-- fraud_audience_history: each account's follower samples of the 27 days before dt, summed
-- from this mart's own earlier audience_quality rows (pct x followers_sampled back to counts).
--   sampled    followers sampled
--   suspicious of them classified suspicious with the population prior (suspicious_pct)
--   authentic  of them real people or influencers by that classification (authenticity_pct)
--   mass       of them mass followers by that classification (mass_followers_pct; 0 for rows
--              written before that column existed)
-- Read twice: for each audience's own bot rate, the prior of its followers' classification
-- (pipeline.fraud.views.classified_samples), and for the 28-day pooled composition.
with

earlier_days as (
    select *
    from audience_quality
    where dt between getvariable('dt') - interval 27 day and getvariable('dt') - interval 1 day
        and followers_sampled > 0
),

history as (
    select
        platform,
        account_id,
        sum(followers_sampled) as sampled,
        sum(round(suspicious_pct * followers_sampled / 100.0)) as suspicious,
        sum(round(authenticity_pct * followers_sampled / 100.0)) as authentic,
        sum(round(coalesce(mass_followers_pct, 0) * followers_sampled / 100.0)) as mass
    from earlier_days
    group by all
)

select * from history
