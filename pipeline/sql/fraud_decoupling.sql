-- fraud_decoupling: engagement that does not follow follower growth (DESIGN section 5, signal
-- 3), signal growth_without_engagement. New followers who are people engage like the old ones,
-- so engagement per post grows with the audience; bought followers do not engage.
-- Both sides come from the day's snapshot of stg_posts (stories aside) and stg_accounts:
--   "then" = posts published 27 to 21 days before dt, against followers 24 days before dt;
--   "now"  = posts published  9 to  3 days before dt (old enough to have gathered most of
--            their engagement), against followers 6 days before dt;
--   follower_growth   = followers_now / followers_then - 1;
--   engagement_growth = median(likes + comments) now / median then.
-- Flagged when follower_growth >= fraud_decoupling_min_growth (a quarter more followers in 18
-- days) while engagement_growth < fraud_decoupling_engagement_min (0.8: engagement per post fell
-- by a fifth or more),
-- each side with at least fraud_decoupling_min_posts posts. One post's engagement varies by a
-- factor of two or more, so only a large growth that brought no engagement at all is judged.
with

posts as (
    select
        platform,
        account_id,
        median(likes + comments) filter (where published_dt between getvariable('dt') - interval 27 day
            and getvariable('dt') - interval 21 day) as engagement_then,
        count(*) filter (where published_dt between getvariable('dt') - interval 27 day
            and getvariable('dt') - interval 21 day) as posts_then,
        median(likes + comments) filter (where published_dt between getvariable('dt') - interval 9 day
            and getvariable('dt') - interval 3 day) as engagement_now,
        count(*) filter (where published_dt between getvariable('dt') - interval 9 day
            and getvariable('dt') - interval 3 day) as posts_now
    from (
        select *, cast(published_at as date) as published_dt
        from stg_posts
        where dt = getvariable('dt')
            and coalesce(media_type, '') <> 'story'
            and likes is not null
            and comments is not null
    )
    group by all
),

followers as (
    select
        platform,
        account_id,
        max(followers) filter (where dt = getvariable('dt') - interval 24 day) as followers_then,
        max(followers) filter (where dt = getvariable('dt') - interval 6 day) as followers_now
    from stg_accounts
    where dt in (getvariable('dt') - interval 24 day, getvariable('dt') - interval 6 day)
    group by all
),

judged as (
    select
        posts.*,
        followers.followers_then,
        followers.followers_now,
        followers.followers_now / followers.followers_then - 1 as follower_growth,
        posts.engagement_now / posts.engagement_then as engagement_growth
    from posts
    join followers using (platform, account_id)
    where posts.posts_then >= getvariable('fraud_decoupling_min_posts')
        and posts.posts_now >= getvariable('fraud_decoupling_min_posts')
        and followers.followers_then > 0
        and posts.engagement_then > 0
)

select
    'account' as entity_type,
    account_id as entity_id,
    platform,
    account_id,
    cast(null as varchar) as campaign_id,
    'growth_without_engagement' as signal,
    case when follower_growth >= 2 * getvariable('fraud_decoupling_min_growth') then 'high' else 'medium' end
        as severity,
    engagement_growth as observed,
    1.0 + follower_growth as expected,
    getvariable('fraud_decoupling_engagement_min') as threshold,
    printf('followers %+.0f%% in 18 days to %s (%,d -> %,d) while engagement per post went %+.0f%% (median likes + comments %,.0f over %d posts -> %,.0f over %d posts): the new followers do not engage, as bought followers do not',
        100 * follower_growth, strftime(getvariable('dt') - interval 6 day, '%Y-%m-%d'),
        followers_then, followers_now, 100 * (engagement_growth - 1), engagement_then, posts_then,
        engagement_now, posts_now) as explanation
from judged
where follower_growth >= getvariable('fraud_decoupling_min_growth')
    and engagement_growth < getvariable('fraud_decoupling_engagement_min')
