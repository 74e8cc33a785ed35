//! The operator's endpoints: `/healthz` and `/metrics` (Prometheus text format), so that the
//! counters the SIP edge, the media, the journal and the ACD keep are visible while it runs.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::State;
use axum::routing::get;

use super::AppState;
use super::error::ApiError;
use super::extract::ClientAddress;
use crate::journal::AgentStateName;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics))
}

async fn metrics(State(state): State<AppState>, ClientAddress(client): ClientAddress) -> Result<String, ApiError> {
    // Counters tell an attacker how the center is doing: only for the operator's hosts.
    if !state.http.metrics_from.allows(client) {
        return Err(ApiError::NotFound("not found".into()));
    }
    let mut out = String::new();
    // Labelled series, written apart from the one-value gauges and appended at the end.
    let mut agents = String::new();
    let mut metric = |name: &str, help: &str, value: u64| {
        let _ = writeln!(
            out,
            "# HELP tsunagu_{name} {help}\n# TYPE tsunagu_{name} gauge\ntsunagu_{name} {value}"
        );
    };
    let sip = &state.sip;
    metric(
        "sip_datagrams_total",
        "UDP datagrams received on the SIP port",
        sip.datagrams.received.load(Ordering::Relaxed),
    );
    metric(
        "sip_unparsable_total",
        "UDP datagrams dropped because they are not SIP",
        sip.datagrams.unparsable.load(Ordering::Relaxed),
    );
    metric(
        "sip_strangers_total",
        "datagrams, connections and requests from hosts that are not trunk peers",
        sip.strangers.seen.load(Ordering::Relaxed),
    );
    metric(
        "sip_over_budget_total",
        "requests past a peer's or the overall request budget (INVITEs got 503)",
        sip.over_budget.load(Ordering::Relaxed),
    );
    metric(
        "sip_replies_dropped_total",
        "replies not sent because too many were waiting to go out",
        sip.replies_dropped.load(Ordering::Relaxed),
    );
    metric(
        "sip_bad_requests_total",
        "requests refused at our edge (400, 416, 505)",
        sip.bad_requests.load(Ordering::Relaxed),
    );
    metric(
        "sip_invites_total",
        "INVITEs received",
        sip.invites.load(Ordering::Relaxed),
    );
    let calls = &state.calls;
    metric(
        "lines_in_use",
        "calls in the IVR or the queue",
        calls.capacity.lines_in_use() as u64,
    );
    metric("queued", "callers waiting in the queue", calls.capacity.queued() as u64);
    metric(
        "prompt_fallbacks_total",
        "prompts played in the fallback language (missing in the caller's)",
        calls.prompt_fallbacks.load(Ordering::Relaxed),
    );
    let pacer = &calls.pacer.stats;
    metric(
        "rtp_packets_sent_total",
        "RTP packets sent",
        pacer.packets_sent.load(Ordering::Relaxed),
    );
    metric(
        "rtp_packets_dropped_total",
        "RTP packets not sent (socket full)",
        pacer.packets_dropped.load(Ordering::Relaxed),
    );
    metric("rtp_streams", "RTP streams open", pacer.streams.load(Ordering::Relaxed));
    let rtp = &calls.rtp_stats;
    metric(
        "rtp_packets_received_total",
        "RTP packets received from callers",
        rtp.packets.load(Ordering::Relaxed),
    );
    metric(
        "rtp_wrong_source_total",
        "RTP packets dropped: not from the caller's address",
        rtp.from_wrong_source.load(Ordering::Relaxed),
    );
    metric(
        "calls_shed_total",
        "new calls turned away at the door with 503 (journal behind, overload, stopping)",
        calls.shed.load(Ordering::Relaxed),
    );
    if let Some(desk) = state.acd.view().await {
        metric(
            "acd_waiting",
            "calls waiting for an agent (ringing ones included)",
            desk.waiting.len() as u64,
        );
        let mut by_state = std::collections::BTreeMap::<AgentStateName, u64>::new();
        for agent in &desk.agents {
            *by_state.entry(agent.state.name()).or_default() += 1;
        }
        let _ = writeln!(
            agents,
            "# HELP tsunagu_agents agents by state\n# TYPE tsunagu_agents gauge"
        );
        for state in AgentStateName::ALL.iter().filter(|s| **s != AgentStateName::LoggedOut) {
            let n = by_state.get(state).copied().unwrap_or(0);
            let _ = writeln!(agents, "tsunagu_agents{{state=\"{state}\"}} {n}");
        }
    }
    let journal = &calls.journal.stats;
    metric(
        "journal_rows_written_total",
        "journal rows written (call records, agent events, wrap-ups)",
        journal.written.load(Ordering::Relaxed),
    );
    metric(
        "journal_rows_pending",
        "journal rows waiting to be written",
        journal.pending.load(Ordering::Relaxed),
    );
    metric(
        "journal_rows_lost_total",
        "journal rows lost because the database was down until the queue was full",
        journal.lost.load(Ordering::Relaxed),
    );
    metric(
        "journal_rows_failed_total",
        "journal rows the database refused for good",
        journal.failed.load(Ordering::Relaxed),
    );
    metric(
        "journal_retries_total",
        "journal transactions retried (the database busy or unreachable)",
        journal.retries.load(Ordering::Relaxed),
    );
    metric(
        "journal_database_down",
        "1 while the journal cannot write",
        u64::from(journal.database_down.load(Ordering::Relaxed)),
    );
    for (name, help, value) in super::recordings::metrics(&state.recordings) {
        metric(name, help, value);
    }
    out.push_str(&agents);
    Ok(out)
}
