//! Recordings and transcripts for supervisors (CC-COMPLAINT): the review page, the search, one
//! call's recording with its transcript, marks, wrap-ups and bookings, the audio (with ranges,
//! so the player can seek), the complaint package for the city, and holds. Every read of a
//! transcript, every listen and every download is an access-audit row written before the
//! answer. City staff may download the package of a call marked complaint or escalation (what
//! the city receives); nothing else here is theirs.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::booking::view::BookingView;
use super::error::ApiError;
use super::extract::{BookingReader, ClientAddress, Supervisor};
use crate::auth::Role;
use crate::recording::Recorder;
use crate::store::recordings::{FoundRecording, MarkRow, RecordingFilter, RecordingRow, SegmentRow};
use crate::transcript::pool::Pool;

/// What the HTTP side knows of recordings.
#[derive(Clone)]
pub struct RecordingsAccess {
    pub dir: PathBuf,
    pub recorder: Option<Arc<Recorder>>,
    pub pool: Option<Arc<Pool>>,
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/review", get(|| async { Html(include_str!("assets/review.html")) }))
        .route("/api/recordings", get(search))
        .route("/api/recordings/{id}", get(detail))
        .route("/api/recordings/{id}/audio", get(audio))
        .route("/api/recordings/{id}/package", get(package))
        .route("/api/recordings/{id}/hold", post(hold))
        .route("/api/recordings/{id}/release", post(release))
}

#[derive(Debug, Deserialize, Default)]
struct SearchQuery {
    from: Option<String>,
    to: Option<String>,
    agent: Option<String>,
    lang: Option<String>,
    category: Option<String>,
    flag: Option<String>,
    q: Option<String>,
}

fn given(value: &Option<String>) -> Option<String> {
    value.as_ref().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

fn date(value: &Option<String>, key: &str) -> Result<Option<String>, ApiError> {
    match given(value) {
        Some(text) => text
            .parse::<jiff::civil::Date>()
            .map(|d| Some(d.to_string()))
            .map_err(|_| ApiError::BadRequest(format!("{key}: 日付は YYYY-MM-DD で指定してください ({text})"))),
        None => Ok(None),
    }
}

#[derive(Debug, Serialize)]
struct SearchAnswer {
    calls: Vec<FoundRecording>,
}

async fn search(
    State(state): State<AppState>,
    Supervisor { staff, .. }: Supervisor,
    ClientAddress(address): ClientAddress,
    Query(query): Query<SearchQuery>,
) -> Result<Json<SearchAnswer>, ApiError> {
    let flag = given(&query.flag);
    if let Some(flag) = flag.as_deref().filter(|f| !matches!(*f, "complaint" | "escalation")) {
        return Err(ApiError::BadRequest(format!(
            "flag: complaint か escalation を指定してください ({flag})"
        )));
    }
    let filter = RecordingFilter {
        from: date(&query.from, "from")?,
        to: date(&query.to, "to")?,
        agent: given(&query.agent),
        lang: given(&query.lang),
        category: given(&query.category),
        complaint: flag.as_deref() == Some("complaint"),
        escalation: flag.as_deref() == Some("escalation"),
        text: given(&query.q),
        limit: 200,
    };
    // The list shows pieces of transcripts: a search is a read like any other. The words
    // searched for are not kept (they may be what the caller said).
    let subject = format!(
        "{}..{}",
        filter.from.as_deref().unwrap_or(""),
        filter.to.as_deref().unwrap_or("")
    );
    super::audit::record(&state, &staff, "transcript.search", &subject, address).await?;
    let calls = state.store.find_recordings(&filter).await?;
    Ok(Json(SearchAnswer { calls }))
}

#[derive(Debug, Serialize)]
struct WrapUpView {
    agent: String,
    category: String,
    notes: String,
    escalation: bool,
    escalation_note: String,
    complaint: bool,
}

#[derive(Debug, Serialize)]
struct DetailView {
    #[serde(flatten)]
    recording: RecordingRow,
    held: bool,
    marks: Vec<MarkRow>,
    segments: Vec<SegmentRow>,
    wrapups: Vec<WrapUpView>,
    bookings: Vec<BookingView>,
}

async fn recording_or_404(state: &AppState, id: &str) -> Result<RecordingRow, ApiError> {
    state
        .store
        .recording_of(id)
        .await?
        .ok_or_else(|| ApiError::NotFound("この通話の録音はありません (no recording of this call)".into()))
}

async fn detail(
    State(state): State<AppState>,
    Supervisor { staff, .. }: Supervisor,
    ClientAddress(address): ClientAddress,
    Path(id): Path<String>,
) -> Result<Json<DetailView>, ApiError> {
    let recording = recording_or_404(&state, &id).await?;
    super::audit::record(&state, &staff, "transcript.read", &id, address).await?;
    Ok(Json(detail_view(&state, recording).await?))
}

async fn detail_view(state: &AppState, recording: RecordingRow) -> Result<DetailView, ApiError> {
    let id = recording.call_id.clone();
    let offices = state.booking.offices.snapshot();
    Ok(DetailView {
        held: recording.hold_reason.is_some(),
        marks: state.store.marks_of(&id).await?,
        segments: state.store.segments_of(&id).await?,
        wrapups: state
            .store
            .wrap_ups_of(&id)
            .await?
            .into_iter()
            .map(|w| WrapUpView {
                agent: w.agent,
                category: w.form.category,
                notes: w.form.notes,
                escalation: w.form.escalation,
                escalation_note: w.form.escalation_note,
                complaint: w.form.complaint,
            })
            .collect(),
        bookings: state
            .store
            .bookings_of_call(&id)
            .await?
            .iter()
            .map(|row| BookingView::new(row, &offices))
            .collect(),
        recording,
    })
}

/// A byte range of `len` bytes asked for by `Range: bytes=A-B` (one range; others get all).
fn asked_range(headers: &HeaderMap, len: u64) -> Option<(u64, u64)> {
    let text = headers.get(header::RANGE)?.to_str().ok()?;
    let spec = text.trim().strip_prefix("bytes=")?;
    if spec.contains(',') || len == 0 {
        return None;
    }
    let (start, end) = spec.split_once('-')?;
    let (start, end) = match (start.trim(), end.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().ok()?;
            (len.saturating_sub(n), len - 1)
        }
        (start, "") => (start.parse().ok()?, len - 1),
        (start, end) => (start.parse().ok()?, end.parse::<u64>().ok()?.min(len - 1)),
    };
    (start <= end && start < len).then_some((start, end))
}

fn playable(recording: &RecordingRow) -> Result<(), ApiError> {
    if recording.state == "deleted" {
        return Err(ApiError::NotFound(
            "保存期間を過ぎたため録音は削除されました (deleted after its retention period)".into(),
        ));
    }
    Ok(())
}

async fn audio(
    State(state): State<AppState>,
    Supervisor { staff, .. }: Supervisor,
    ClientAddress(address): ClientAddress,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let recording = recording_or_404(&state, &id).await?;
    playable(&recording)?;
    let path = state.recordings.dir.join(&recording.path);
    let len = tokio::fs::metadata(&path)
        .await
        .map_err(|_| ApiError::NotFound("録音ファイルが見つかりません (the recording's file is missing)".into()))?
        .len();
    let range = asked_range(&headers, len);
    // A player asks for the start once, then for pieces as it seeks: the listen is the first.
    if range.is_none_or(|(start, _)| start == 0) {
        super::audit::record(&state, &staff, "recording.listen", &id, address).await?;
    }
    let (start, end) = range.unwrap_or((0, len.saturating_sub(1)));
    let bytes = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
        let mut file = std::fs::File::open(&path)?;
        file.seek(SeekFrom::Start(start))?;
        let mut buffer = vec![0u8; usize::try_from(end + 1 - start).unwrap_or(0)];
        file.read_exact(&mut buffer)?;
        Ok(buffer)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(|e| ApiError::Internal(format!("reading a recording: {e}")))?;
    let mut response = Response::new(Body::from(bytes));
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("audio/wav"));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    if range.is_some() {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
        if let Ok(value) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
            response.headers_mut().insert(header::CONTENT_RANGE, value);
        }
    }
    Ok(response)
}

/// The transcript as the city reads it: time, speaker, words.
fn transcript_text(recording: &RecordingRow, segments: &[SegmentRow]) -> String {
    let mut out = format!(
        "通話 {} の文字起こし (transcript)\r\n開始 {} / 長さ {} 秒 / 言語 {}\r\n個人番号・暗証番号は伏せてあります (My Numbers and PINs are masked)\r\n\r\n",
        recording.call_id,
        recording.started_at,
        recording.duration_ms / 1000,
        recording.lang
    );
    for segment in segments {
        let speaker = if segment.speaker == "agent" {
            "職員"
        } else {
            "発信者"
        };
        let at = segment.start_ms / 1000;
        out.push_str(&format!(
            "[{:02}:{:02}] {speaker}: {}\r\n",
            at / 60,
            at % 60,
            segment.text
        ));
    }
    out
}

async fn package(
    State(state): State<AppState>,
    BookingReader { staff, .. }: BookingReader,
    ClientAddress(address): ClientAddress,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let recording = recording_or_404(&state, &id).await?;
    let view = detail_view(&state, recording).await?;
    let flagged = view.wrapups.iter().any(|w| w.complaint || w.escalation);
    match staff.session.role {
        Role::Agent => return Err(ApiError::Forbidden("業務責任者のみ (supervisors only)".into())),
        Role::City if !flagged => {
            return Err(ApiError::Forbidden(
                "市の職員は苦情・エスカレーションの通話のみ受け取れます (city staff receive complaint and escalation calls only)".into(),
            ));
        }
        _ => {}
    }
    playable(&view.recording)?;
    super::audit::record(&state, &staff, "recording.download", &id, address).await?;
    let record = call_record_json(&state, &id, &view).await?;
    let text = transcript_text(&view.recording, &view.segments);
    let wav = state.recordings.dir.join(&view.recording.path);
    let name = id.clone();
    let zipped = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, String> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        let mut put = |file: &str, bytes: &[u8]| -> Result<(), String> {
            zip.start_file(format!("{name}/{file}"), stored)
                .map_err(|e| e.to_string())?;
            zip.write_all(bytes).map_err(|e| e.to_string())
        };
        put(
            "recording.wav",
            &std::fs::read(&wav).map_err(|e| format!("the recording: {e}"))?,
        )?;
        let mut transcript = vec![0xEF, 0xBB, 0xBF];
        transcript.extend_from_slice(text.as_bytes());
        put("transcript.txt", &transcript)?;
        put("call.json", record.as_bytes())?;
        zip.finish().map(|c| c.into_inner()).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(|e| ApiError::Internal(format!("the complaint package: {e}")))?;
    let disposition = format!("attachment; filename=\"complaint-{id}.zip\"");
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        zipped,
    )
        .into_response())
}

/// The call record in the package: the call's steps and wrap-ups, the recording's facts and
/// its transcript; the caller's number left out (the city has no need of it here).
async fn call_record_json(state: &AppState, id: &str, view: &DetailView) -> Result<String, ApiError> {
    let steps: Vec<serde_json::Value> = match state.store.call_detail(id).await? {
        Some(detail) => detail
            .steps
            .into_iter()
            .map(|s| {
                let (kind, detail) = s.step.encode();
                serde_json::json!({ "at": s.at, "offset_ms": s.offset_ms, "kind": kind, "detail": detail })
            })
            .collect(),
        None => Vec::new(),
    };
    let record = serde_json::json!({
        "call_id": id,
        "recording": {
            "started_at": view.recording.started_at,
            "duration_ms": view.recording.duration_ms,
            "bytes": view.recording.bytes,
            "sha256": view.recording.sha256,
            "format": "WAV, PCM 16-bit, 8 kHz, stereo (left: caller, right: agent)",
            "lang": view.recording.lang,
        },
        "marks": view.marks,
        "steps": steps,
        "wrapups": view.wrapups,
        "bookings": view.bookings.iter().map(|b| serde_json::json!({
            "code": b.display_code, "office": b.office_name, "service": b.service_name, "start": b.start, "status": b.status,
        })).collect::<Vec<_>>(),
        "segments": view.segments,
    });
    serde_json::to_string_pretty(&record).map_err(|e| ApiError::Internal(e.to_string()))
}

#[derive(Debug, Deserialize, Default)]
struct HoldForm {
    #[serde(default)]
    reason: String,
}

#[derive(Debug, Serialize)]
struct HoldAnswer {
    held: bool,
}

async fn hold(
    state: State<AppState>,
    supervisor: Supervisor,
    address: ClientAddress,
    id: Path<String>,
    form: Json<HoldForm>,
) -> Result<Json<HoldAnswer>, ApiError> {
    set_hold(state, supervisor, address, id, form, true).await
}

async fn release(
    state: State<AppState>,
    supervisor: Supervisor,
    address: ClientAddress,
    id: Path<String>,
    form: Json<HoldForm>,
) -> Result<Json<HoldAnswer>, ApiError> {
    set_hold(state, supervisor, address, id, form, false).await
}

async fn set_hold(
    State(state): State<AppState>,
    Supervisor { staff, .. }: Supervisor,
    ClientAddress(address): ClientAddress,
    Path(id): Path<String>,
    Json(form): Json<HoldForm>,
    on: bool,
) -> Result<Json<HoldAnswer>, ApiError> {
    let reason = form.reason.trim();
    if !on && reason.is_empty() {
        return Err(ApiError::BadRequest(
            "解除の理由を入力してください (a reason is required)".into(),
        ));
    }
    let action = if on { "recording.hold" } else { "recording.release" };
    super::audit::record(&state, &staff, action, &id, address).await?;
    let now = super::audit::now().to_string();
    if !state
        .store
        .set_recording_hold(&id, on, staff.name(), reason, &now)
        .await?
    {
        return Err(ApiError::NotFound(
            "この通話の録音はありません (no recording of this call)".into(),
        ));
    }
    let held = state
        .store
        .recording_of(&id)
        .await?
        .is_some_and(|r| r.hold_reason.is_some());
    Ok(Json(HoldAnswer { held }))
}

/// The recorder's and the workers' counters, for `/metrics`: (name, help, value).
pub fn metrics(access: &RecordingsAccess) -> Vec<(&'static str, &'static str, u64)> {
    let mut out = Vec::new();
    if let Some(recorder) = &access.recorder {
        let c = &recorder.counters;
        out.extend([
            (
                "recordings_started_total",
                "call recordings started",
                c.started.load(Ordering::Relaxed),
            ),
            (
                "recordings_active",
                "call recordings being written",
                c.active.load(Ordering::Relaxed),
            ),
            (
                "recordings_finished_total",
                "call recordings closed",
                c.finished.load(Ordering::Relaxed),
            ),
            (
                "recordings_failed_total",
                "call recordings that could not be started or written",
                c.failed.load(Ordering::Relaxed),
            ),
            (
                "recording_frames_dropped_total",
                "20 ms frames left out of recordings because the disk fell behind (per call in its row)",
                c.dropped_frames.load(Ordering::Relaxed),
            ),
            (
                "recording_bytes_total",
                "bytes of closed recordings",
                c.bytes.load(Ordering::Relaxed),
            ),
        ]);
    }
    if let Some(pool) = &access.pool {
        let c = &pool.counters;
        out.extend([
            (
                "transcription_model_loaded",
                "1 once the whisper model is loaded",
                c.model_loaded.load(Ordering::Relaxed),
            ),
            (
                "transcriptions_done_total",
                "channels transcribed",
                c.done.load(Ordering::Relaxed),
            ),
            (
                "transcription_failed_attempts_total",
                "transcription attempts that failed",
                c.failed_attempts.load(Ordering::Relaxed),
            ),
            (
                "transcription_audio_ms_total",
                "milliseconds of audio transcribed",
                c.audio_ms.load(Ordering::Relaxed),
            ),
            (
                "transcription_work_ms_total",
                "milliseconds spent transcribing",
                c.work_ms.load(Ordering::Relaxed),
            ),
        ]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(text: &str, len: u64) -> Option<(u64, u64)> {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_str(text).expect("header"));
        asked_range(&headers, len)
    }

    #[test]
    fn ranges_a_player_asks_for_are_understood_and_odd_ones_get_the_whole_file() {
        assert_eq!(range("bytes=0-", 1000), Some((0, 999)));
        assert_eq!(range("bytes=100-199", 1000), Some((100, 199)));
        assert_eq!(range("bytes=900-5000", 1000), Some((900, 999)));
        assert_eq!(range("bytes=-100", 1000), Some((900, 999)));
        assert_eq!(range("bytes=1000-", 1000), None);
        assert_eq!(range("bytes=0-1,5-6", 1000), None);
        assert_eq!(range("items=0-1", 1000), None);
        assert_eq!(asked_range(&HeaderMap::new(), 1000), None);
    }
}
