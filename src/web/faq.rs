//! The FAQ book for staff (`/faq`, CC-FAQ): every staff member searches the approved entries
//! (agents from the softphone, during the call); supervisors write revisions; city staff (or an
//! admin) approve or reject them, and an approved revision is what agents see from then on.
//!
//! - `GET /api/faq?q=&lang=` (approved entries, best match first)
//! - `GET /api/faq/{id}` (the approved entry and its text, with the revisions for editors)
//! - `POST /api/faq/{id}/revisions` `{source}` (supervisors: a pending revision)
//! - `GET /api/faq/pending` (supervisors and city staff)
//! - `POST /api/faq/revisions/{rev}/review` `{approve, note}` (city staff, admins)
//! - `GET /api/faq/export.xlsx` (the approved book, for the city's office software)

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::{ApiError, JsonBody};
use super::extract::{BookingReader, StaffSession, Supervisor};
use crate::auth::Role;
use crate::faq::entry::{MAX_BYTES, valid_id};
use crate::faq::search::search;
use crate::faq::{Entry, parse};
use crate::lang::Lang;
use crate::report::categories::category_label;
use crate::store::faq::FaqRevisionRow;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/faq", get(|| async { Html(include_str!("assets/faq.html")) }))
        .route("/api/faq", get(find))
        .route("/api/faq/pending", get(pending))
        .route("/api/faq/export.xlsx", get(export))
        .route("/api/faq/{id}", get(one))
        .route("/api/faq/{id}/revisions", post(propose))
        .route("/api/faq/revisions/{rev}/review", post(review))
}

/// Revisions read the clock.
#[allow(clippy::disallowed_methods)]
fn now() -> String {
    jiff::Timestamp::now().to_string()
}

#[derive(Debug, Deserialize)]
struct FindQuery {
    #[serde(default)]
    q: String,
    lang: Option<Lang>,
}

/// An entry in one language, as search results and the softphone show it.
#[derive(Debug, Serialize)]
struct EntryView {
    id: String,
    category: String,
    category_label: String,
    revision: u32,
    languages: Vec<Lang>,
    /// The language shown (the one asked for, or the entry's first).
    lang: String,
    question: String,
    answer: String,
}

fn view(entry: &Entry, lang: Lang) -> EntryView {
    let (shown, question) = entry.question_in(lang);
    let (_, answer) = entry.answer_in(lang);
    EntryView {
        id: entry.id.clone(),
        category: entry.category.clone(),
        category_label: category_label(&entry.category),
        revision: entry.revision,
        languages: entry.languages.clone(),
        lang: shown.to_string(),
        question: question.to_string(),
        answer: answer.to_string(),
    }
}

#[derive(Debug, Serialize)]
struct Found {
    entries: Vec<EntryView>,
}

async fn find(
    State(state): State<AppState>,
    _: BookingReader,
    Query(query): Query<FindQuery>,
) -> Result<Json<Found>, ApiError> {
    if query.q.chars().count() > 200 {
        return Err(ApiError::BadRequest("q: 200 文字までです".into()));
    }
    let lang = query.lang.unwrap_or(Lang::Ja);
    let book = state.faq.snapshot();
    Ok(Json(Found {
        entries: search(book.values(), &query.q, lang)
            .into_iter()
            .map(|hit| view(hit.entry, lang))
            .collect(),
    }))
}

fn editor(staff: &StaffSession) -> bool {
    matches!(staff.session.role, Role::Supervisor | Role::Admin | Role::City)
}

#[derive(Debug, Serialize)]
struct OneEntry {
    /// The approved entry (none for an entry proposed but never approved).
    entry: Option<Entry>,
    /// Its file text, to start a revision from.
    source: Option<String>,
    /// The revisions written in the browser (supervisors and city staff only).
    revisions: Vec<FaqRevisionRow>,
}

async fn one(
    State(state): State<AppState>,
    BookingReader { staff, .. }: BookingReader,
    Path(id): Path<String>,
) -> Result<Json<OneEntry>, ApiError> {
    if !valid_id(&id) {
        return Err(ApiError::NotFound(format!("FAQ {id} はありません")));
    }
    let entry = state.faq.get(&id);
    let revisions = if editor(&staff) {
        state.store.faq_revisions("", &id).await?
    } else {
        Vec::new()
    };
    if entry.is_none() && revisions.is_empty() {
        return Err(ApiError::NotFound(format!("FAQ {id} はありません")));
    }
    Ok(Json(OneEntry {
        source: entry.as_ref().map(Entry::to_text),
        entry,
        revisions,
    }))
}

#[derive(Debug, Deserialize)]
struct RevisionForm {
    source: String,
}

async fn propose(
    State(state): State<AppState>,
    Supervisor { staff, .. }: Supervisor,
    Path(id): Path<String>,
    JsonBody(form): JsonBody<RevisionForm>,
) -> Result<(StatusCode, Json<FaqRevisionRow>), ApiError> {
    if !valid_id(&id) {
        return Err(ApiError::BadRequest(format!(
            "id: 英小文字・数字・'-' で指定してください ({id})"
        )));
    }
    if form.source.len() > MAX_BYTES {
        return Err(ApiError::TooLarge);
    }
    let mut entry = parse(&format!("{id} の改訂"), &form.source).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if entry.id != id {
        return Err(ApiError::BadRequest(format!(
            "id: 本文の id '{}' が {id} と違います",
            entry.id
        )));
    }
    // The next number after both the approved book's and any revision written.
    let shipped = state.faq.get(&id).map_or(0, |e| i64::from(e.revision));
    let next = shipped.max(state.store.last_faq_revision(&id).await?) + 1;
    entry.revision = u32::try_from(next).map_err(|_| ApiError::BadRequest("revision: too many".into()))?;
    match state
        .store
        .propose_faq_revision(&id, next, &entry.to_text(), staff.name(), &now())
        .await?
    {
        Some(row) => Ok((StatusCode::CREATED, Json(row))),
        None => Err(ApiError::Conflict(
            "同時に別の改訂が登録されました。読み直してから登録してください。".into(),
        )),
    }
}

#[derive(Debug, Serialize)]
struct PendingRevision {
    #[serde(flatten)]
    row: FaqRevisionRow,
    /// The question in Japanese (or the entry's first language), for the list.
    question: String,
    /// The approved text it would replace (none for a new entry).
    current: Option<String>,
}

#[derive(Debug, Serialize)]
struct PendingList {
    revisions: Vec<PendingRevision>,
}

async fn pending(
    State(state): State<AppState>,
    BookingReader { staff, .. }: BookingReader,
) -> Result<Json<PendingList>, ApiError> {
    if !editor(&staff) {
        return Err(ApiError::Forbidden("for supervisors and city staff".into()));
    }
    let rows = state.store.faq_revisions("pending", "").await?;
    Ok(Json(PendingList {
        revisions: rows
            .into_iter()
            .map(|row| PendingRevision {
                question: parse("", &row.source)
                    .map(|e| e.question_in(Lang::Ja).1.to_string())
                    .unwrap_or_default(),
                current: state.faq.get(&row.entry_id).map(|e| e.to_text()),
                row,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize)]
struct ReviewForm {
    approve: bool,
    #[serde(default)]
    note: String,
}

async fn review(
    State(state): State<AppState>,
    BookingReader { staff, .. }: BookingReader,
    Path(rev): Path<i64>,
    JsonBody(form): JsonBody<ReviewForm>,
) -> Result<Json<FaqRevisionRow>, ApiError> {
    if !matches!(staff.session.role, Role::City | Role::Admin) {
        return Err(ApiError::Forbidden(
            "改訂の承認は市の職員が行います (city staff approve revisions)".into(),
        ));
    }
    let note = form.note.trim();
    if !form.approve && note.is_empty() {
        return Err(ApiError::BadRequest("note: 差し戻す理由を書いてください".into()));
    }
    let Some(row) = state
        .store
        .review_faq_revision(rev, form.approve, staff.name(), note, &now())
        .await?
    else {
        return Err(ApiError::Conflict("この改訂は承認待ちではありません".into()));
    };
    if form.approve {
        let origin = format!("database:{} revision {}", row.entry_id, row.revision);
        let entry = parse(&origin, &row.source).map_err(ApiError::internal)?;
        state.faq.put(entry);
    }
    Ok(Json(row))
}

async fn export(
    State(state): State<AppState>,
    BookingReader { staff, .. }: BookingReader,
) -> Result<impl IntoResponse, ApiError> {
    if !editor(&staff) {
        return Err(ApiError::Forbidden("for supervisors and city staff".into()));
    }
    let book = state.faq.snapshot();
    let bytes = crate::faq::export::book_xlsx(book.values()).map_err(ApiError::internal)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"faq-book.xlsx\""),
        ],
        bytes,
    ))
}
