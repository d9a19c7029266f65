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
