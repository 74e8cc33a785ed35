//! Cases for staff (`/cases`): supervisors see every case and take it through its lifecycle;
//! city staff see the cases sent to the city and record their answer; an agent sees the
//! call-backs assigned to them and marks them done. Every read of a case is an access-audit
//! row (its notes may name the resident).
//!
//! - `GET /api/cases?status=`
//! - `GET /api/cases/{id}` (with its events and the steps this reader may take)
//! - `POST /api/cases/{id}/steps` `{step, from, note, assignee, outcome, faq_id}`

use axum::extract::{Path, Query, State};
use axum::response::Html;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::{ApiError, JsonBody};
use super::extract::{BookingReader, ClientAddress, StaffSession};
use crate::auth::Role;
use crate::case::{CaseKind, CaseStatus, Outcome, Step, next};
use crate::report::categories::category_label;
use crate::store::cases::{CaseEventRow, CaseFilter, CaseRow, CaseStepRow};

/// The longest note a step takes.
const MAX_NOTE: usize = 4000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/cases", get(|| async { Html(include_str!("assets/cases.html")) }))
        .route("/api/cases", get(list))
        .route("/api/cases/{id}", get(detail))
        .route("/api/cases/{id}/steps", post(take_step))
}

/// Cases read the clock for their events.
#[allow(clippy::disallowed_methods)]
fn now() -> String {
    jiff::Timestamp::now().to_string()
}

#[derive(Debug, Serialize)]
struct CaseView {
    #[serde(flatten)]
    row: CaseRow,
    kind_label: &'static str,
    status_label: &'static str,
    outcome_label: &'static str,
    category_label: String,
}

fn view(row: CaseRow) -> CaseView {
    CaseView {
        kind_label: CaseKind::parse(&row.kind).map_or("", CaseKind::japanese),
        status_label: CaseStatus::parse(&row.status).map_or("", CaseStatus::japanese),
        outcome_label: Outcome::parse(&row.outcome).map_or("", Outcome::japanese),
        category_label: category_label(&row.category),
        row,
    }
}

/// Which cases a reader may see.
fn filter_for(staff: &StaffSession, status: Option<String>) -> CaseFilter {
    let role = staff.session.role;
    CaseFilter {
        status,
        assignee: (role == Role::Agent).then(|| staff.name().to_string()),
        sent_to_city: role == Role::City,
    }
}

fn may_read(staff: &StaffSession, row: &CaseRow) -> bool {
    match staff.session.role {
        Role::Supervisor | Role::Admin => true,
        Role::City => row.sent_to_city,
        Role::Agent => row.assignee == staff.name(),
    }
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    status: Option<String>,
}

#[derive(Debug, Serialize)]
struct CaseList {
    cases: Vec<CaseView>,
}

async fn list(
    State(state): State<AppState>,
    BookingReader { staff, .. }: BookingReader,
    Query(query): Query<ListQuery>,
) -> Result<Json<CaseList>, ApiError> {
    let status = match query.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => Some(
            CaseStatus::parse(text)
                .ok_or_else(|| ApiError::BadRequest(format!("status: 不明な状態です ({text})")))?
                .as_str()
                .to_string(),
        ),
        None => None,
    };
    let rows = state.store.cases(&filter_for(&staff, status)).await?;
    Ok(Json(CaseList {
        cases: rows.into_iter().map(view).collect(),
    }))
}

#[derive(Debug, Serialize)]
struct EventView {
    #[serde(flatten)]
    event: CaseEventRow,
    label: &'static str,
}

fn event_label(action: &str) -> &'static str {
    match action {
        "opened" => "受付（後処理から）",
        "wrap_up_again" => "後処理の再登録",
        "send_to_city" => "市へ照会",
        "record_answer" => "市の回答",
        "assign_call_back" => "折り返しを割当",
        "called_back" => "折り返し済み",
        "close" => "完了",
        "note" => "メモ",
        "link_faq" => "FAQに反映",
        _ => "",
    }
}

#[derive(Debug, Serialize)]
struct CaseDetail {
    case: CaseView,
    events: Vec<EventView>,
    /// The steps this reader may take now.
    steps: Vec<Step>,
}

async fn detail(
    State(state): State<AppState>,
    BookingReader { staff, .. }: BookingReader,
    ClientAddress(address): ClientAddress,
    Path(id): Path<i64>,
) -> Result<Json<CaseDetail>, ApiError> {
    case_detail(&state, &staff, address, id).await
}

async fn case_detail(
    state: &AppState,
    staff: &StaffSession,
    address: std::net::IpAddr,
    id: i64,
) -> Result<Json<CaseDetail>, ApiError> {
    let Some((row, events)) = state.store.case(id).await? else {
        return Err(ApiError::NotFound(format!("案件 {id} はありません")));
    };
    if !may_read(staff, &row) {
        // The same answer as a case that does not exist: nothing to learn from the status.
        return Err(ApiError::NotFound(format!("案件 {id} はありません")));
    }
    super::audit::record(state, staff, "case.read", &id.to_string(), address).await?;
    let status = CaseStatus::parse(&row.status).unwrap_or(CaseStatus::Open);
    let is_assignee = row.assignee == staff.name();
    let steps = Step::ALL
        .iter()
        .copied()
        .filter(|step| next(status, *step, staff.session.role, is_assignee).is_ok())
        .collect();
    Ok(Json(CaseDetail {
        case: view(row),
        events: events
            .into_iter()
            .map(|event| EventView {
                label: event_label(&event.action),
                event,
            })
            .collect(),
        steps,
    }))
}

#[derive(Debug, Deserialize)]
struct StepForm {
    step: Step,
    /// The status the person saw: the step applies only if it is still so.
    from: CaseStatus,
    #[serde(default)]
    note: String,
    #[serde(default)]
    assignee: String,
    outcome: Option<Outcome>,
    #[serde(default)]
    faq_id: String,
}

fn valid_faq_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

async fn take_step(
    State(state): State<AppState>,
    BookingReader { staff, .. }: BookingReader,
    ClientAddress(address): ClientAddress,
    Path(id): Path<i64>,
    JsonBody(form): JsonBody<StepForm>,
) -> Result<Json<CaseDetail>, ApiError> {
    let Some((row, _)) = state.store.case(id).await? else {
        return Err(ApiError::NotFound(format!("案件 {id} はありません")));
    };
    if !may_read(&staff, &row) {
        return Err(ApiError::NotFound(format!("案件 {id} はありません")));
    }
    let note = form.note.trim();
    if note.chars().count() > MAX_NOTE {
        return Err(ApiError::BadRequest(format!("note: {MAX_NOTE} 文字までです")));
    }
    let current = CaseStatus::parse(&row.status).unwrap_or(CaseStatus::Open);
    if current != form.from {
        return Err(ApiError::Conflict(format!(
            "ほかの人が先に更新しました（現在の状態: {}）。画面を読み直してください。",
            current.japanese()
        )));
    }
    let to = next(current, form.step, staff.session.role, row.assignee == staff.name()).map_err(
        |refused| match refused {
            crate::case::Refused::Status(why) => ApiError::Conflict(why),
            other => ApiError::Forbidden(other.to_string()),
        },
    )?;
    let (mut assignee, mut outcome, mut faq_id) = (None, None, None);
    let assignee_name = form.assignee.trim().to_string();
    let faq = form.faq_id.trim().to_string();
    match form.step {
        Step::SendToCity | Step::RecordAnswer | Step::Note if note.is_empty() => {
            return Err(ApiError::BadRequest(
                "note: 照会内容・回答・メモを書いてください (say what it is)".into(),
            ));
        }
        Step::AssignCallBack => {
            let roles = state.store.staff_roles().await?;
            if roles.get(&assignee_name).map(String::as_str) != Some("agent") {
                return Err(ApiError::BadRequest(format!(
                    "assignee: オペレーターの名前を指定してください ({assignee_name})"
                )));
            }
            assignee = Some(assignee_name.as_str());
        }
        Step::Close => {
            let Some(chosen) = form.outcome else {
                return Err(ApiError::BadRequest(
                    "outcome: 結果を選んでください (resolved, explained, referred, unresolved, withdrawn)".into(),
                ));
            };
            outcome = Some(chosen.as_str());
        }
        Step::LinkFaq => {
            if !valid_faq_id(&faq) {
                return Err(ApiError::BadRequest(format!(
                    "faq_id: FAQ の番号が正しくありません ({faq})"
                )));
            }
            faq_id = Some(faq.as_str());
        }
        _ => {}
    }
    let detail = match (form.step, assignee, outcome, faq_id) {
        (Step::AssignCallBack, Some(agent), _, _) => format!("担当: {agent}\n{note}"),
        (Step::Close, _, Some(chosen), _) => format!(
            "結果: {}\n{note}",
            Outcome::parse(chosen).map_or(chosen, Outcome::japanese)
        ),
        (Step::LinkFaq, _, _, Some(entry)) => format!("FAQ: {entry}\n{note}"),
        _ => note.to_string(),
    };
    let at = now();
    let written = state
        .store
        .take_case_step(&CaseStepRow {
            id,
            from: current.as_str(),
            to: to.as_str(),
            action: form.step.as_str(),
            actor: staff.name(),
            detail: detail.trim(),
            at: &at,
            assignee,
            outcome,
            faq_id,
        })
        .await?;
    if !written {
        return Err(ApiError::Conflict(
            "ほかの人が先に更新しました。画面を読み直してください。".into(),
        ));
    }
    case_detail(&state, &staff, address, id).await
}
