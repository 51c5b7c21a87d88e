-- fraud_posts: posts whose interactions do not hang together, on the snapshot of day dt
-- (signal 3). Every ratio is compared with the account's own posts in the same snapshot:
--   comment_like_robust_z = robust z of ln((comments + 1) / (likes + 1));
--   like_view_robust_z    = robust z of ln((likes + 1) / (views + 1)) (posts with views);
-- robust z = (x - median) / sqrt(s^2 + counting noise), the median over the account's posts
-- with at least fraud_post_min_likes likes (at least fraud_post_min_history of them); s is the
-- double MAD (1.4826 * MAD of the posts on the side of the median away from the tested
-- direction: inflated posts do not widen their own yardstick), at least
-- fraud_ratio_scale_floor; counting noise = 1/(n1 + 1) + 1/(n2 + 1) for the two counts.
-- Instagram stories are left out: their reactions are not public likes and comments.
-- Signals: likes_without_comments (bought likes), comments_inflated (engagement pods),
-- likes_without_views (bought likes). A pod comments on post after post: comments_inflated is
-- medium or high when at least two of the account's posts in the snapshot (30 days) show it,
-- info for a post that is the only one (a giveaway or a question draws comments too).
with

posts as (
    select
        platform,
        account_id,
        post_id,
        media_type,
        likes,
        comments,
        views,
        ln((comments + 1.0) / (likes + 1.0)) as cl,
        ln((likes + 1.0) / (views + 1.0)) as lv
    from stg_posts
    where dt = getvariable('dt')
        and published_at < getvariable('dt') + interval 1 day
        and likes >= getvariable('fraud_post_min_likes')
        and comments is not null
        and coalesce(media_type, '') <> 'story'
),

medians as (
    select
        platform,
        account_id,
        median(cl) as cl_med,
        count(cl) as cl_n,
        median(lv) as lv_med,
        count(lv) as lv_n
    from posts
    group by all
),

-- double MAD: the spread below and above the median separately, so that inflated posts (one
-- side) do not widen the yardstick they are measured with
scales as (
    select
        posts.platform,
        posts.account_id,
        any_value(medians.cl_med) as cl_med,
        any_value(medians.cl_n) as cl_n,
        any_value(medians.lv_med) as lv_med,
        any_value(medians.lv_n) as lv_n,
        1.4826 * median(medians.cl_med - posts.cl) filter (where posts.cl <= medians.cl_med)
            as cl_lower,
        1.4826 * median(posts.cl - medians.cl_med) filter (where posts.cl >= medians.cl_med)
            as cl_upper,
        1.4826 * median(medians.lv_med - posts.lv) filter (where posts.lv <= medians.lv_med)
            as lv_lower
    from posts
    join medians using (platform, account_id)
    group by all
),

-- robust z with the counting noise of the post's own numbers added (Poisson: the variance of
-- ln(n + 1) is about 1 / (n + 1)), so that 0 comments instead of 2 is no evidence
scored as (
    select
        posts.*,
        case when scales.cl_n >= getvariable('fraud_post_min_history') then
            (posts.cl - scales.cl_med) / sqrt(
                greatest(
                    case when posts.cl < scales.cl_med then scales.cl_upper else scales.cl_lower end,
                    getvariable('fraud_ratio_scale_floor')
                ) ^ 2
                + 1.0 / (posts.comments + 1) + 1.0 / (posts.likes + 1)
            )
        end as comment_like_robust_z,
        case when scales.lv_n >= getvariable('fraud_post_min_history') then
            (posts.lv - scales.lv_med) / sqrt(
                greatest(scales.lv_lower, getvariable('fraud_ratio_scale_floor')) ^ 2
                + 1.0 / (posts.likes + 1) + 1.0 / (posts.views + 1)
            )
        end as like_view_robust_z,
        exp(scales.cl_med) as usual_comment_like,
        exp(scales.lv_med) as usual_like_view
    from posts
    join scales using (platform, account_id)
),

-- posts of the account in the snapshot with inflated comments
repeated as (
    select
        scored.*,
        count(*) filter (
            where comment_like_robust_z >= getvariable('fraud_comment_like_high_z')
        ) over (partition by platform, account_id) as inflated_posts
    from scored
),

flags as (
    select
        'likes_without_comments' as signal,
        comment_like_robust_z as z,
        getvariable('fraud_comment_like_low_z') as threshold,
        (comments + 1.0) / (likes + 1.0) as observed,
        usual_comment_like as expected,
        printf('post has %,d likes but only %,d comments on %s: %.1f comments per 1,000 likes against the account''s usual %.1f (%.1f robust SDs, flag below %.1f); likes without conversation are often bought',
            likes, comments, strftime(getvariable('dt'), '%Y-%m-%d'), 1000 * comments / likes,
            1000 * usual_comment_like, comment_like_robust_z, getvariable('fraud_comment_like_low_z'))
            as explanation,
        scored.*
    from scored
    where comment_like_robust_z <= getvariable('fraud_comment_like_low_z')

    union all by name

    select
        'comments_inflated' as signal,
        comment_like_robust_z as z,
        getvariable('fraud_comment_like_high_z') as threshold,
        (comments + 1.0) / (likes + 1.0) as observed,
        usual_comment_like as expected,
        printf('post has %,d comments for %,d likes on %s: %.0f comments per 1,000 likes against the account''s usual %.0f (%.1f robust SDs, flag above %.1f); ',
            comments, likes, strftime(getvariable('dt'), '%Y-%m-%d'), 1000 * comments / likes,
            1000 * usual_comment_like, comment_like_robust_z, getvariable('fraud_comment_like_high_z'))
        || case
            when inflated_posts >= 2
                then printf('%d of the account''s posts of the last 30 days show this, the repeated pattern of engagement pods', inflated_posts)
            else 'the only such post of the account in the last 30 days: a giveaway or a question draws comments too, repeated it is the mark of engagement pods'
        end as explanation,
        case when inflated_posts < 2 then 'info' end as severity,
        repeated.*
    from repeated
    where comment_like_robust_z >= getvariable('fraud_comment_like_high_z')

    union all by name

    select
        'likes_without_views' as signal,
        like_view_robust_z as z,
        getvariable('fraud_like_view_z') as threshold,
        (likes + 1.0) / (views + 1.0) as observed,
        usual_like_view as expected,
        printf('post has %,d likes for %,d views on %s: %.1f likes per 100 views against the account''s usual %.1f (%.1f robust SDs, flag above %.1f); more likes than its views can explain',
            likes, views, strftime(getvariable('dt'), '%Y-%m-%d'), 100 * likes / greatest(views, 1),
            100 * usual_like_view, like_view_robust_z, getvariable('fraud_like_view_z')) as explanation,
        scored.*
    from scored
    where like_view_robust_z >= getvariable('fraud_like_view_z')
)

select
    'post' as entity_type,
    post_id as entity_id,
    platform,
    account_id,
    cast(null as varchar) as campaign_id,
    signal,
    coalesce(severity, case when abs(z) >= 2 * abs(threshold) then 'high' else 'medium' end)
        as severity,
    observed,
    expected,
    threshold,
    explanation
from flags
