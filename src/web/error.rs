//! One error type for every HTTP answer that is not a success: JSON `{"error": code,
//! "message": text}` with the status that fits. Bad input is the client's business and is not
//! logged; an internal error is logged here with its detail and answered "something went
//! wrong", so that nothing of our insides reaches a stranger.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use tracing::warn;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request does not make sense.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no session, or it ended (or the login failed).
    #[error("{0}")]
    Unauthorized(String),
    /// 403: logged in, but not allowed (role, CSRF token, another site's page).
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// 409: it conflicts with the state of things (a slot taken meanwhile).
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is larger than this route takes.
    #[error("the request is too large")]
    TooLarge,
    /// 429: too many attempts; try again after `retry_after` seconds.
    #[error("{message}")]
    TooMany { message: String, retry_after: u32 },
    /// 503: not now (overloaded, stopping); `retry_after` in seconds.
    #[error("{message}")]
    Unavailable { message: String, retry_after: u32 },
    /// 500: ours. The detail is logged, never sent.
    #[error("something went wrong")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::TooLarge => "too_large",
            ApiError::TooMany { .. } => "too_many_requests",
            ApiError::Unavailable { .. } => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(detail.to_string())
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> ApiError {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            warn!(%detail, "an HTTP request failed");
        }
        let body = Json(serde_json::json!({ "error": self.code(), "message": self.to_string() }));
        let mut response = (self.status(), body).into_response();
        if let ApiError::Unavailable { retry_after, .. } | ApiError::TooMany { retry_after, .. } = self {
            if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

/// `Json<T>` whose bad bodies answer in the shape of every other error.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(from_rejection(rejection)),
        }
    }
}

fn from_rejection(rejection: JsonRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::TooLarge;
    }
    ApiError::BadRequest(rejection.body_text())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_its_status_and_internal_details_stay_inside() {
        let cases = [
            (ApiError::BadRequest("x".into()), 400),
            (ApiError::Unauthorized("x".into()), 401),
            (ApiError::Forbidden("x".into()), 403),
            (ApiError::NotFound("x".into()), 404),
            (ApiError::Conflict("x".into()), 409),
            (ApiError::TooLarge, 413),
            (
                ApiError::TooMany {
                    message: "x".into(),
                    retry_after: 60,
                },
                429,
            ),
            (
                ApiError::Unavailable {
                    message: "x".into(),
                    retry_after: 5,
                },
                503,
            ),
            (ApiError::internal("password column missing"), 500),
        ];
        for (error, status) in cases {
            assert_eq!(error.status().as_u16(), status);
        }
        assert_eq!(
            ApiError::internal("password column missing").to_string(),
            "something went wrong"
        );
        let limited = ApiError::TooMany {
            message: "slow down".into(),
            retry_after: 42,
        }
        .into_response();
        assert_eq!(
            limited.headers().get(header::RETRY_AFTER).map(|v| v.as_bytes()),
            Some(&b"42"[..]),
            "a client told to wait is told how long"
        );
    }
}
