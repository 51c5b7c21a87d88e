-- fraud_audience_composition: the follower sample of each account on day dt, by category.
-- Input `follower_classes`: stg_follower_samples of dt labelled by
-- pipeline.fraud.views.classified_samples: `category` with the population prior (as
-- `clout fraud classify` does) and `audience_category` with the prior of the account's own
-- audience (its suspicious share over the 28 days, classify.audience_prior_log_odds and
-- classify.recategorize). Suspicious wins over the size-based categories.
-- Percentages of the day's sample (population prior):
--   real_pct + mass_followers_pct + influencer_followers_pct + suspicious_pct = 100;
--   authenticity_pct = real + influencers (DESIGN section 5);
--   reachability_pct = followers who follow fewer than 1,500 accounts (of those whose
--   following count is known);
--   authenticity_adj_pct = real + influencers by audience_category.
-- Pooled over the day and the 27 before (fraud_audience_history): followers_sampled_28d,
-- suspicious_pct_28d (the apparent share: followers labelled suspicious, population prior) and
-- authenticity_pct_28d, the estimate of the audience that the score, low_authenticity and
-- influencer_scores use. The label is a per-profile decision at the operating point of best
-- balanced accuracy (about 7 % of people flagged, 15 % of bots missed), so counting it over an
-- audience is biased; the estimate corrects for the label's known error rates instead
-- (Rogan-Gladen, pipeline.fraud.classify.bot_share, with fraud_classifier_sensitivity and
-- fraud_classifier_specificity measured on public labelled accounts):
--   bot_share = clip((suspicious_28d / sampled_28d + spec - 1) / (sens + spec - 1), 0, 1)
--   authenticity_pct_28d = 100 * (1 - bot_share) * authentic_28d / (authentic_28d + mass_28d)
-- i.e. the people (1 - bot_share) split into real-or-influencer and mass followers as the
-- followers not labelled suspicious are (following more than 1,500 makes a person a mass
-- follower whatever the label says). 0 when every follower is labelled suspicious.
-- A day's sample is small (tens of followers: +-10 points of sampling error); 28 days of fresh
-- samples bring that to a few points, at the cost of reacting to a changed audience over weeks
-- rather than overnight.
with

classes as (
    select * from follower_classes
),

earlier as (
    select * from audience_history
),

today as (
    select
        platform,
        account_id,
        count(*) as followers_sampled,
        count(*) filter (where category = 'real') as n_real,
        count(*) filter (where category = 'suspicious') as n_suspicious,
        count(*) filter (where category = 'mass_follower') as n_mass,
        count(*) filter (where category = 'influencer') as n_influencer,
        count(*) filter (where audience_category in ('real', 'influencer')) as n_authentic_adj,
        count(*) filter (where following_count < 1500) as n_reachable,
        count(following_count) as n_following_known
    from classes
    group by all
),

composition as (
    select
        platform,
        account_id,
        followers_sampled,
        100.0 * n_real / followers_sampled as real_pct,
        100.0 * n_suspicious / followers_sampled as suspicious_pct,
        100.0 * n_mass / followers_sampled as mass_followers_pct,
        100.0 * n_influencer / followers_sampled as influencer_followers_pct,
        100.0 * (n_real + n_influencer) / followers_sampled as authenticity_pct,
        100.0 * n_reachable / nullif(n_following_known, 0) as reachability_pct,
        100.0 * n_authentic_adj / followers_sampled as authenticity_adj_pct,
        followers_sampled + coalesce(earlier.sampled, 0) as followers_sampled_28d,
        -- Rogan-Gladen: the 28-day suspicious share corrected for the label's error rates
        100.0 * (1.0 - least(greatest(
            ((n_suspicious + coalesce(earlier.suspicious, 0))
                / (followers_sampled + coalesce(earlier.sampled, 0))
                + getvariable('fraud_classifier_specificity') - 1.0)
            / (getvariable('fraud_classifier_sensitivity')
                + getvariable('fraud_classifier_specificity') - 1.0),
            0.0), 1.0))
            * coalesce(
                (n_real + n_influencer + coalesce(earlier.authentic, 0))
                    / nullif(n_real + n_influencer + n_mass
                        + coalesce(earlier.authentic, 0) + coalesce(earlier.mass, 0), 0),
                0.0) as authenticity_pct_28d,
        100.0 * (n_suspicious + coalesce(earlier.suspicious, 0))
            / (followers_sampled + coalesce(earlier.sampled, 0)) as suspicious_pct_28d
    from today
    left join earlier using (platform, account_id)
)

select * from composition
