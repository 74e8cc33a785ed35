//! The operator's HTTP endpoint: `/healthz` and `/metrics` (Prometheus text format), so that
//! the counters the SIP edge, the media and the recorder keep are visible while it runs.
//! The agents' and supervisors' screens are on the same router (`softphone`).

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::State;
use axum::routing::get;

use crate::call::CallServices;
use crate::sip::SipStats;

#[derive(Clone)]
pub struct HttpState {
    pub calls: Arc<CallServices>,
    pub sip: Arc<SipStats>,
}

pub fn app(state: HttpState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn metrics(State(state): State<HttpState>) -> String {
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
        "sip_forbidden_total",
        "requests from hosts that are not trunk peers (403)",
        sip.forbidden_peers.load(Ordering::Relaxed),
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
    if let Some(floor) = calls.acd.floor().await {
        metric(
            "acd_waiting",
            "calls waiting for an agent (ringing ones included)",
            floor.waiting.len() as u64,
        );
        let mut by_state = std::collections::BTreeMap::<&str, u64>::new();
        for (_, state, _) in &floor.agents {
            *by_state.entry(crate::acd::desk::state_name(state)).or_default() += 1;
        }
        let _ = writeln!(
            agents,
            "# HELP tsunagu_agents agents by state\n# TYPE tsunagu_agents gauge"
        );
        for state in ["ready", "offered", "on_call", "wrap_up", "not_ready"] {
            let n = by_state.get(state).copied().unwrap_or(0);
            let _ = writeln!(agents, "tsunagu_agents{{state=\"{state}\"}} {n}");
        }
    }
    let recorder = &calls.recorder.stats;
    metric(
        "records_written_total",
        "call record rows written",
        recorder.written.load(Ordering::Relaxed),
    );
    metric(
        "records_dropped_total",
        "call record rows dropped (database too slow)",
        recorder.dropped.load(Ordering::Relaxed),
    );
    metric(
        "records_failed_total",
        "call record rows the database refused",
        recorder.failed.load(Ordering::Relaxed),
    );
    out.push_str(&agents);
    out
}
