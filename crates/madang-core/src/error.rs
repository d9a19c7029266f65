//! Domain errors. The API layer maps each variant to a stable code and an
//! HTTP status in one table; user errors and internal errors stay apart.

use madang_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that breaks a rule; `code` is stable, e.g. `invalid_handle`.
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    #[error("authentication required")]
    Unauthenticated,
    #[error("the token has expired; log in again")]
    TokenExpired,
    #[error("wrong handle or password")]
    BadCredentials,
    #[error("that handle is taken")]
    HandleTaken,
    /// The named thing does not exist (or the caller may not know it does).
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("you are not a member of this room")]
    NotMember,
    #[error("this person does not accept messages or requests from you")]
    Blocked,
    #[error("only the author may do this")]
    NotAuthor,
    #[error("the time allowed to {0} this message has passed")]
    WindowPassed(&'static str),
    #[error("the room has reached its member limit of {0}")]
    RoomFull(i64),
    #[error("{what} is larger than the limit of {limit}")]
    TooLarge { what: &'static str, limit: usize },
    #[error("unsupported media type: {0}")]
    UnsupportedMedia(String),
    #[error("too many requests; retry in {retry_after_ms} ms")]
    RateLimited { retry_after_ms: i64 },
    /// The same text or too many links too fast in an open chat; `reason`
    /// is stable: `same_text` or `links`.
    #[error("slow down: {message}")]
    Flooding {
        reason: &'static str,
        message: String,
        retry_after_ms: i64,
    },
    /// A word the open chat's host does not allow.
    #[error("the host does not allow \u{201c}{0}\u{201d} here")]
    BannedWord(String),
    /// The caller may not do this here; `code` is stable, e.g. `banned`.
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    /// Something that exists already, e.g. `already_subscribed`.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("the payment was declined: {0}")]
    PaymentDeclined(String),
    /// A service we depend on (the payment provider) failed; retry later.
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    /// The operator runs no model for this AI feature, or switched it off.
    #[error("this server does not offer {0}")]
    FeatureOff(&'static str),
    /// The model is answering others; retry shortly.
    #[error("the model is busy; try again shortly")]
    AiBusy,
    /// Something that was there and is gone for good (an export's link
    /// past its time); `code` is stable, e.g. `export_expired`.
    #[error("{message}")]
    Gone { code: &'static str, message: String },
    /// An export that is not a chat another messenger wrote, or not
    /// whole: the line where reading stopped, from 1.
    #[error("the export could not be read at line {line}: {reason}")]
    MalformedExport { line: usize, reason: String },
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What sort of failure an error is. The API maps each kind to one HTTP
/// status, for the answers it gives and for the refusals it documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Invalid,
    Unauthenticated,
    PaymentRequired,
    Forbidden,
    NotFound,
    Conflict,
    Gone,
    TooLarge,
    UnsupportedMedia,
    RateLimited,
    Internal,
    Unavailable,
}

/// A refusal an operation can give: its kind and stable code. Each route
/// file of `madang-api` declares its handlers' (`refusals()`); the API
/// document lists them per operation, and every answer is checked against
/// that list (`madang-api`'s `openapi::complete` and `openapi::conform`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Refusal {
    pub kind: Kind,
    pub code: &'static str,
}

impl Refusal {
    pub const fn new(kind: Kind, code: &'static str) -> Self {
        Refusal { kind, code }
    }
    pub const fn invalid(code: &'static str) -> Self {
        Refusal::new(Kind::Invalid, code)
    }
    pub const fn forbidden(code: &'static str) -> Self {
        Refusal::new(Kind::Forbidden, code)
    }
    /// `code` is the whole code, e.g. `room_not_found`.
    pub const fn not_found(code: &'static str) -> Self {
        Refusal::new(Kind::NotFound, code)
    }
    pub const fn conflict(code: &'static str) -> Self {
        Refusal::new(Kind::Conflict, code)
    }
}

/// Refusals many use cases share, named once.
pub mod refusals {
    use super::{Kind, Refusal};

    pub const UNAUTHENTICATED: Refusal = Refusal::new(Kind::Unauthenticated, "unauthenticated");
    pub const TOKEN_EXPIRED: Refusal = Refusal::new(Kind::Unauthenticated, "token_expired");
    pub const NOT_MEMBER: Refusal = Refusal::forbidden("not_member");
    pub const BLOCKED: Refusal = Refusal::forbidden("blocked");
    pub const NOT_AUTHOR: Refusal = Refusal::forbidden("not_author");
    pub const ROOM_FULL: Refusal = Refusal::conflict("room_full");
    pub const TOO_LARGE: Refusal = Refusal::new(Kind::TooLarge, "too_large");
    pub const UNSUPPORTED_MEDIA: Refusal = Refusal::new(Kind::UnsupportedMedia, "unsupported_media");
    pub const RATE_LIMITED: Refusal = Refusal::new(Kind::RateLimited, "rate_limited");
    pub const FLOODING: Refusal = Refusal::new(Kind::RateLimited, "flooding");
    pub const BANNED_WORD: Refusal = Refusal::invalid("banned_word");
    pub const FEATURE_OFF: Refusal = Refusal::new(Kind::Unavailable, "feature_off");
    pub const AI_BUSY: Refusal = Refusal::new(Kind::Unavailable, "ai_busy");
    pub const UNAVAILABLE: Refusal = Refusal::new(Kind::Unavailable, "unavailable");
    pub const INTERNAL: Refusal = Refusal::new(Kind::Internal, "internal");
}

impl Error {
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid {
            code,
            message: message.into(),
        }
    }

    pub fn refused(code: &'static str, message: impl Into<String>) -> Self {
        Error::Refused {
            code,
            message: message.into(),
        }
    }

    /// The stable code a client is told (the API pairs it with a status).
    pub fn code(&self) -> String {
        match self {
            Error::Invalid { code, .. }
            | Error::Refused { code, .. }
            | Error::Conflict { code, .. }
            | Error::Gone { code, .. } => (*code).into(),
            Error::Unauthenticated => "unauthenticated".into(),
            Error::TokenExpired => "token_expired".into(),
            Error::BadCredentials => "bad_credentials".into(),
            Error::HandleTaken => "handle_taken".into(),
            Error::NotFound(what) => format!("{what}_not_found"),
            Error::NotMember => "not_member".into(),
            Error::Blocked => "blocked".into(),
            Error::NotAuthor => "not_author".into(),
            Error::WindowPassed(action) => format!("{action}_window_passed"),
            Error::RoomFull(_) => "room_full".into(),
            Error::TooLarge { .. } => "too_large".into(),
            Error::UnsupportedMedia(_) => "unsupported_media".into(),
            Error::RateLimited { .. } => "rate_limited".into(),
            Error::Flooding { .. } => "flooding".into(),
            Error::BannedWord(_) => "banned_word".into(),
            Error::PaymentDeclined(_) => "payment_declined".into(),
            Error::Unavailable(_) => "unavailable".into(),
            Error::FeatureOff(_) => "feature_off".into(),
            Error::AiBusy => "ai_busy".into(),
            Error::MalformedExport { .. } => "malformed_export".into(),
            Error::Internal(_) => "internal".into(),
        }
    }

    /// The kind of failure, the one thing the API turns into a status.
    pub fn kind(&self) -> Kind {
        match self {
            Error::Invalid { .. } | Error::BannedWord(_) | Error::MalformedExport { .. } => Kind::Invalid,
            Error::Unauthenticated | Error::TokenExpired | Error::BadCredentials => Kind::Unauthenticated,
            Error::HandleTaken | Error::RoomFull(_) | Error::Conflict { .. } => Kind::Conflict,
            Error::NotFound(_) => Kind::NotFound,
            Error::Gone { .. } => Kind::Gone,
            Error::NotMember
            | Error::Blocked
            | Error::NotAuthor
            | Error::WindowPassed(_)
            | Error::Refused { .. } => Kind::Forbidden,
            Error::TooLarge { .. } => Kind::TooLarge,
            Error::UnsupportedMedia(_) => Kind::UnsupportedMedia,
            Error::RateLimited { .. } | Error::Flooding { .. } => Kind::RateLimited,
            Error::PaymentDeclined(_) => Kind::PaymentRequired,
            Error::Unavailable(_) | Error::FeatureOff(_) | Error::AiBusy => Kind::Unavailable,
            Error::Internal(_) => Kind::Internal,
        }
    }

    /// A failure that may pass if the same thing is tried again later
    /// (a limit's window, a busy or failing dependency), as opposed to a
    /// refusal that will stand.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::RateLimited { .. }
                | Error::Flooding { .. }
                | Error::Unavailable(_)
                | Error::AiBusy
                | Error::Internal(_)
        )
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Internal(Box::new(e))
    }
}
