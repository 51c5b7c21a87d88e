-- influencer_scores: one row per brief, account and day (DESIGN sections 4, 6), for the accounts
-- that pass the brief's filters (platform in platforms, followers within min..max).
-- Built by pipeline.scoring.prepare, which registers the briefs (briefs, brief_platforms,
-- brief_niches, brief_targets), the price assumptions (platform_rates) and the weights
-- (variables sc_*) of pipeline.scoring.model.ScoringConfig.
--
-- audience_fit (0..1): per target dimension d (age, gender, country, interest) the histogram
--   intersection fit_d = sum over buckets of min(account share, target share) (1 = the
--   account's audience is the target mix, 0 = disjoint; a dimension the account has no data
--   for counts 0); combined as the weighted mean over the brief's dimensions (weights
--   target_weights, equal by default). 1 for a brief without target.
-- niche_fit (0..1): 1 if stg_accounts.category is one of the brief's niches, else the share of
--   the account's audience whose interest bucket is one of the niches. 1 without niches.
-- quality_score (0..100): weighted mean of the audience_quality components that exist:
--   authenticity_pct, reachability_pct, growth_health and engagement_score (engagement rate
--   relative to the platform and size tier); sc_missing_quality when none exists.
-- est_reach = coalesce(avg_views, followers x reach_rate) x authentic share (authenticity_pct,
--   sc_missing_authenticity when unknown): the real people one post is expected to reach.
-- authenticity_pct here is audience_quality.authenticity_pct_28d (28 days of follower samples),
--   the day's own authenticity_pct where the pooled one is missing.
-- est_post_price (USD) = max(min_price, followers / 1000 x usd_per_1k_followers x m), where
--   m = clamp((engagement_rate / er_ref) ^ er_elasticity, er_mult_min, er_mult_max), 1 when
--   the engagement rate is unknown. Creators price on their follower count, bots included.
-- expected_cpm (USD) = est_post_price / est_reach x 1000 (NULL for no reach).
-- score (0..100) = 100 x (wq x quality_score / 100 + wa x audience_fit + wn x niche_fit)
--   / (wq + wa + wn), weights by the brief's goal (sc_<goal>_w_*).
-- rank: 1 = best score per brief (ties: lower expected_cpm, then platform, account_id).
-- (least/greatest ignore NULLs in DuckDB: NULLs are handled before them.)
-- Joins on the audience run on integer keys (acct, bucket_id): 100k accounts x 10 briefs
-- is about 12M (candidate, target bucket) pairs.
with

quality as (
    select
        platform,
        account_id,
        authenticity_pct,
        (
            coalesce(getvariable('sc_w_authenticity') * authenticity_pct, 0)
            + coalesce(getvariable('sc_w_reachability') * reachability_pct, 0)
            + coalesce(getvariable('sc_w_growth') * growth_health, 0)
            + coalesce(getvariable('sc_w_engagement') * engagement_score, 0)
        ) / nullif(
            getvariable('sc_w_authenticity') * (authenticity_pct is not null)::int
            + getvariable('sc_w_reachability') * (reachability_pct is not null)::int
            + getvariable('sc_w_growth') * (growth_health is not null)::int
            + getvariable('sc_w_engagement') * (engagement_score is not null)::int,
            0
        ) as quality_score
    from (
        select * replace (coalesce(authenticity_pct_28d, authenticity_pct) as authenticity_pct)
        from audience_quality
        where dt = getvariable('dt')
    )
),

daily as (
    select platform, account_id, engagement_rate, avg_views
    from influencer_daily
    where dt = getvariable('dt')
),

accounts as (
    select
        row_number() over (order by stg_accounts.platform, stg_accounts.account_id) as acct,
        stg_accounts.platform,
        stg_accounts.account_id,
        stg_accounts.followers,
        lower(stg_accounts.category) as category,
        quality.quality_score,
        quality.authenticity_pct,
        daily.engagement_rate,
        daily.avg_views
    from stg_accounts
    left join quality using (platform, account_id)
    left join daily using (platform, account_id)
    where stg_accounts.dt = getvariable('dt')
),

brief_keys as (
    select row_number() over (order by brief_id) as brief_idx, * from briefs
),

candidates as (
    select brief_keys.*, accounts.*
    from brief_keys
    join brief_platforms using (brief_id)
    join accounts
        on accounts.platform = brief_platforms.platform
        and accounts.followers >= brief_keys.followers_min
        and (brief_keys.followers_max is null or accounts.followers <= brief_keys.followers_max)
),

-- every (dimension, bucket) a brief targets or a niche names, with an integer id
buckets as (
    select dimension, bucket, row_number() over (order by dimension, bucket) as bucket_id
    from (
        select distinct dimension, lower(bucket) as bucket from brief_targets
        union
        select distinct 'interest' as dimension, niche as bucket from brief_niches
    )
),

audience as (
    select accounts.acct, buckets.bucket_id, buckets.dimension, stg_audience.share
    from stg_audience
    join accounts using (platform, account_id)
    join buckets
        on buckets.dimension = stg_audience.dimension
        and buckets.bucket = lower(stg_audience.bucket)
    where stg_audience.dt = getvariable('dt')
),

targets as (
    select brief_keys.brief_idx, buckets.bucket_id, buckets.dimension, brief_targets.share
    from brief_targets
    join brief_keys using (brief_id)
    join buckets
        on buckets.dimension = brief_targets.dimension
        and buckets.bucket = lower(brief_targets.bucket)
),

dimension_fit as (
    select
        candidates.brief_idx,
        candidates.acct,
        sum(case when targets.dimension = 'age' then least(audience.share, targets.share) end)
            as age_fit,
        sum(case when targets.dimension = 'gender' then least(audience.share, targets.share) end)
            as gender_fit,
        sum(case when targets.dimension = 'country' then least(audience.share, targets.share) end)
            as country_fit,
        sum(case when targets.dimension = 'interest' then least(audience.share, targets.share) end)
            as interest_fit
    from candidates
    join targets using (brief_idx)
    join audience using (acct, bucket_id)
    group by all
),

niche_interest as (
    select candidates.brief_idx, candidates.acct, sum(audience.share) as share
    from candidates
    join brief_niches using (brief_id)
    join buckets on buckets.dimension = 'interest' and buckets.bucket = brief_niches.niche
    join audience using (acct, bucket_id)
    group by all
),

category_match as (
    select distinct candidates.brief_idx, candidates.acct
    from candidates
    join brief_niches
        on brief_niches.brief_id = candidates.brief_id
        and brief_niches.niche = candidates.category
),

components as (
    select
        candidates.brief_id,
        candidates.acct,
        candidates.platform,
        candidates.account_id,
        candidates.goal,
        candidates.followers,
        candidates.category,
        coalesce(candidates.quality_score, getvariable('sc_missing_quality')) as quality_score,
        case
            when candidates.target_weight = 0 then 1.0
            else round(least(greatest((
                candidates.w_age * least(coalesce(dimension_fit.age_fit, 0), 1.0)
                + candidates.w_gender * least(coalesce(dimension_fit.gender_fit, 0), 1.0)
                + candidates.w_country * least(coalesce(dimension_fit.country_fit, 0), 1.0)
                + candidates.w_interest * least(coalesce(dimension_fit.interest_fit, 0), 1.0)
            ) / candidates.target_weight, 0.0), 1.0), 9)
        end as audience_fit,
        round(case when dimension_fit.age_fit > 1.0 then 1.0 else dimension_fit.age_fit end, 9)
            as age_fit,
        round(case when dimension_fit.gender_fit > 1.0 then 1.0 else dimension_fit.gender_fit end, 9)
            as gender_fit,
        round(case when dimension_fit.country_fit > 1.0 then 1.0 else dimension_fit.country_fit end, 9)
            as country_fit,
        round(case when dimension_fit.interest_fit > 1.0 then 1.0 else dimension_fit.interest_fit end, 9)
            as interest_fit,
        case
            when not candidates.has_niches then 1.0
            when category_match.acct is not null then 1.0
            else round(least(coalesce(niche_interest.share, 0.0), 1.0), 9)
        end as niche_fit,
        candidates.authenticity_pct,
        candidates.engagement_rate,
        coalesce(candidates.avg_views, candidates.followers * platform_rates.reach_rate)
            * coalesce(candidates.authenticity_pct, getvariable('sc_missing_authenticity'))
            / 100.0 as est_reach,
        greatest(
            platform_rates.min_price,
            candidates.followers / 1000.0 * platform_rates.usd_per_1k_followers
                * case
                    when candidates.engagement_rate is null then 1.0
                    else least(greatest(
                        pow(
                            candidates.engagement_rate / platform_rates.er_ref,
                            platform_rates.er_elasticity
                        ),
                        platform_rates.er_mult_min
                    ), platform_rates.er_mult_max)
                end
        ) as est_post_price
    from candidates
    left join dimension_fit using (brief_idx, acct)
    left join niche_interest using (brief_idx, acct)
    left join category_match using (brief_idx, acct)
    left join platform_rates on platform_rates.platform = candidates.platform
),

scored as (
    select
        components.*,
        est_post_price / nullif(est_reach, 0) * 1000.0 as expected_cpm,
        100.0 * (
            goal_weights.w_quality * quality_score / 100.0
            + goal_weights.w_audience * audience_fit
            + goal_weights.w_niche * niche_fit
        ) / (goal_weights.w_quality + goal_weights.w_audience + goal_weights.w_niche) as score
    from components
    join goal_weights using (goal)
)

select
    * exclude (acct),
    row_number() over (
        partition by brief_id order by score desc, expected_cpm asc nulls last, acct
    ) as rank
from scored
order by brief_id, rank
