//! REST routes under `/api/v1`, one file per feature, collected with their
//! OpenAPI descriptions.

mod accounts;
mod ai;
mod bots;
mod channels;
mod chats;
mod discovery;
mod earnings;
mod folders;
mod friends;
mod imports;
mod local;
mod media;
mod openchat;
pub(crate) mod ops;
mod polls;
mod pung;
mod push;
mod safety;
mod scheduled;

use crate::AppState;
use crate::openapi::ApiDoc;
use axum::extract::DefaultBodyLimit;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every handler's declared refusals (beyond its extractors'), for the
/// document.
pub(crate) fn refusals() -> crate::openapi::Declared {
    [
        accounts::refusals(),
        ai::refusals(),
        bots::refusals(),
        channels::refusals(),
        chats::refusals(),
        discovery::refusals(),
        earnings::refusals(),
        folders::refusals(),
        friends::refusals(),
        imports::refusals(),
        local::refusals(),
        media::refusals(),
        openchat::refusals(),
        polls::refusals(),
        pung::refusals(),
        push::refusals(),
        safety::refusals(),
        scheduled::refusals(),
        crate::ws::refusals(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Result of a handler that answers with JSON.
pub(crate) type JsonResult<T> = Result<axum::Json<T>, crate::ApiError>;

pub(crate) fn router(state: &AppState) -> OpenApiRouter<AppState> {
    let limits = state.core.limits();
    let json = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(accounts::sign_up))
        .routes(routes!(accounts::log_in))
        .routes(routes!(accounts::log_out))
        .routes(routes!(accounts::devices))
        .routes(routes!(accounts::revoke_device))
        .routes(routes!(push::key))
        .routes(routes!(push::subscribe, push::unsubscribe))
        .routes(routes!(push::test))
        .routes(routes!(push::settings, push::update_settings))
        .routes(routes!(accounts::me, accounts::update_me))
        .routes(routes!(accounts::profile))
        .routes(routes!(bots::create, bots::list))
        .routes(routes!(bots::rotate))
        .routes(routes!(bots::set_commands, bots::commands))
        .routes(routes!(bots::set_webhook, bots::webhook, bots::delete_webhook))
        .routes(routes!(chats::press))
        .routes(routes!(chats::room_commands))
        .routes(routes!(bots::create_integration, bots::integrations))
        .routes(routes!(bots::remove_integration))
        .routes(routes!(bots::hook))
        .routes(routes!(
            bots::set_channel_webhook,
            bots::channel_webhook,
            bots::delete_channel_webhook
        ))
        .routes(routes!(friends::list, friends::add))
        .routes(routes!(friends::update, friends::remove))
        .routes(routes!(friends::match_contacts))
        .routes(routes!(friends::birthdays))
        .routes(routes!(friends::blocks, friends::block))
        .routes(routes!(friends::unblock))
        .routes(routes!(chats::rooms))
        .routes(routes!(chats::open_direct))
        .routes(routes!(chats::create_group))
        .routes(routes!(chats::room))
        .routes(routes!(chats::settings))
        .routes(routes!(chats::members, chats::invite))
        .routes(routes!(chats::leave))
        .routes(routes!(chats::history, chats::send))
        .routes(routes!(chats::search))
        .routes(routes!(chats::drawer))
        .routes(routes!(chats::comments, chats::comment))
        .routes(routes!(chats::read_comments))
        .routes(routes!(chats::transcript))
        .routes(routes!(folders::list, folders::create))
        .routes(routes!(folders::update, folders::delete))
        .routes(routes!(folders::order))
        .routes(routes!(scheduled::schedule, scheduled::in_room))
        .routes(routes!(scheduled::mine))
        .routes(routes!(scheduled::update, scheduled::cancel))
        .routes(routes!(scheduled::send_now))
        .routes(routes!(polls::create))
        .routes(routes!(polls::read))
        .routes(routes!(polls::vote))
        .routes(routes!(polls::close))
        .routes(routes!(chats::edit, chats::delete))
        .routes(routes!(chats::react))
        .routes(routes!(chats::unreact))
        .routes(routes!(chats::events))
        .routes(routes!(chats::read))
        .routes(routes!(chats::typing))
        .routes(routes!(ai::offer))
        .routes(routes!(ai::summary))
        .routes(routes!(ai::add_assistant, ai::remove_assistant))
        .routes(routes!(media::download))
        .routes(routes!(pung::post))
        .routes(routes!(pung::feed))
        .routes(routes!(pung::of_user))
        .routes(routes!(pung::get, pung::delete))
        .routes(routes!(pung::view))
        .routes(routes!(pung::viewers))
        .routes(routes!(pung::react))
        .routes(routes!(pung::unreact))
        .routes(routes!(pung::vote))
        .routes(routes!(pung::reply))
        .routes(routes!(openchat::categories))
        .routes(routes!(discovery::search))
        .routes(routes!(discovery::browse))
        .routes(routes!(discovery::trending))
        .routes(routes!(discovery::keywords))
        .routes(routes!(discovery::recommended))
        .routes(routes!(discovery::interests, discovery::set_interests))
        .routes(routes!(openchat::create))
        .routes(routes!(openchat::get, openchat::update, openchat::close))
        .routes(routes!(openchat::join))
        .routes(routes!(openchat::by_link))
        .routes(routes!(openchat::join_by_link))
        .routes(routes!(openchat::members))
        .routes(routes!(openchat::hide, openchat::restore))
        .routes(routes!(openchat::kick))
        .routes(routes!(openchat::bans))
        .routes(routes!(openchat::unban))
        .routes(routes!(openchat::appoint, openchat::dismiss))
        .routes(routes!(openchat::hand_over))
        .routes(routes!(openchat::pin, openchat::unpin))
        .routes(routes!(openchat::banned_words, openchat::set_banned_words))
        .routes(routes!(openchat::screening, openchat::set_screening))
        .routes(routes!(openchat::flagged))
        .routes(routes!(openchat::review_flag))
        .routes(routes!(safety::report))
        .routes(routes!(safety::reports))
        .routes(routes!(safety::resolve))
        .routes(routes!(safety::suspensions, safety::suspend))
        .routes(routes!(safety::lift))
        .routes(routes!(safety::spam_examples, safety::label_spam))
        .routes(routes!(safety::remove_spam_example))
        .routes(routes!(earnings::tiers, earnings::create_tier))
        .routes(routes!(earnings::retire_tier))
        .routes(routes!(earnings::settings))
        .routes(routes!(earnings::subscribe, earnings::cancel))
        .routes(routes!(earnings::earnings))
        .routes(routes!(earnings::chat_earnings))
        .routes(routes!(earnings::place))
        .routes(routes!(earnings::impression))
        .routes(routes!(earnings::click))
        .routes(routes!(earnings::ads, earnings::create_ad))
        .routes(routes!(earnings::pause))
        .routes(routes!(earnings::resume))
        .routes(routes!(earnings::audit))
        .routes(routes!(local::create_business, local::businesses))
        .routes(routes!(local::agents, local::add_agent))
        .routes(routes!(local::channels, local::create_channel))
        .routes(routes!(local::business_shops))
        .routes(routes!(local::channel))
        .routes(routes!(local::channel_by_handle))
        .routes(routes!(local::add_channel, local::remove_channel))
        .routes(routes!(local::shop_categories))
        .routes(routes!(local::create_shop))
        .routes(routes!(local::nearby))
        .routes(routes!(local::shop))
        .routes(routes!(local::become_regular, local::leave_regular))
        .routes(routes!(local::coupons, local::create_coupon))
        .routes(routes!(local::claim))
        .routes(routes!(local::wallet))
        .routes(routes!(local::redeem))
        .routes(routes!(channels::posts, channels::create_post))
        .routes(routes!(channels::my_room))
        .routes(routes!(channels::inbox))
        .routes(routes!(channels::inbox_history, channels::inbox_reply))
        .routes(routes!(channels::inbox_assign))
        .routes(routes!(channels::inbox_close))
        .routes(routes!(channels::inbox_read))
        .routes(routes!(channels::assistant, channels::set_assistant))
        .routes(routes!(channels::add_fact))
        .routes(routes!(channels::update_fact, channels::delete_fact))
        .routes(routes!(channels::friend_data))
        .routes(routes!(channels::preview))
        .routes(routes!(channels::campaigns, channels::create_campaign))
        .routes(routes!(channels::campaign))
        .routes(routes!(channels::cancel))
        .routes(routes!(channels::opt_out))
        .routes(routes!(channels::place, channels::set_place))
        .routes(routes!(imports::export_room))
        .routes(routes!(imports::export_account))
        .routes(routes!(imports::exports))
        .routes(routes!(imports::export))
        .routes(routes!(imports::export_file))
        .routes(routes!(crate::ws::connect))
        .layer(DefaultBodyLimit::max(limits.max_json_bytes));
    let uploads = OpenApiRouter::new()
        .routes(routes!(media::upload))
        .routes(routes!(pung::upload))
        .layer(DefaultBodyLimit::max(limits.max_upload_bytes));
    // An export with its media; the margin is the form's other parts.
    let imports = OpenApiRouter::new()
        .routes(routes!(imports::preview))
        .routes(routes!(imports::import))
        .layer(DefaultBodyLimit::max(limits.max_import_bytes + 64 * 1024));
    let avatar = OpenApiRouter::new()
        .routes(routes!(accounts::set_avatar))
        .layer(DefaultBodyLimit::max(limits.max_avatar_bytes));
    json.merge(uploads).merge(imports).merge(avatar)
}
