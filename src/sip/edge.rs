//! The SIP endpoint on UDP and TCP: what comes in is checked at our edge (trunk peer,
//! version, Request-URI scheme, CSeq, Contact), answered when it is not a call (OPTIONS, 403,
//! 400, 405, 481, 505), and handed to the application as an [`InboundCall`] when it is one.
//! Before an INVITE becomes a call the application's [`Admission`] may turn it away with 503
//! and Retry-After; every INVITE turned away is reported back to it, so that it has a record.
//!
//! What a stranger or a slow peer sends cannot stall the others: strangers are refused at the
//! transport (TCP connections not accepted, datagrams dropped before parsing) unless configured
//! to be answered; every source and all of them together have a request budget; and the loop
//! that takes requests never waits on a reply: replies go out from tasks of their own, bounded
//! in number and in time, so a peer that never reads only delays its own answers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rsipstack::EndpointBuilder;
use rsipstack::dialog::dialog::Dialog;
use rsipstack::dialog::dialog_layer::DialogLayer;
use rsipstack::sip::prelude::*;
use rsipstack::sip::{Header, Method, Scheme, StatusCode, Version};
use rsipstack::transaction::Transaction;
use rsipstack::transaction::endpoint::EndpointOption;
use rsipstack::transport::udp::UdpConnection;
use rsipstack::transport::{TcpListenerConnection, TransportLayer};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::budget::{Budget, OverBudget, Rate};
use super::digest::{Check, Nonces, TrunkCredentials};
use super::leg::{CallLeg, InboundCall, map_dialog_states};
use super::peers::PeerAllowList;
use super::sdp::{SdpError, parse_offer};
use super::strangers::Strangers;
use super::udp_guard::{DatagramStats, GuardedUdpSocket};
use crate::journal::ShedReason;
use crate::pii::PhoneNumber;

const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE";

#[derive(Debug, thiserror::Error)]
pub enum SipError {
    #[error("cannot listen for SIP on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("the SIP stack failed to start: {0}")]
    Stack(String),
}

/// What the edge counts for the operator.
#[derive(Debug, Default)]
pub struct SipStats {
    pub datagrams: Arc<DatagramStats>,
    /// Traffic from hosts that are not trunk peers (dropped, or answered 403 when configured).
    pub strangers: Arc<Strangers>,
    pub bad_requests: AtomicU64,
    pub invites: AtomicU64,
    pub auth_failures: AtomicU64,
    pub options: AtomicU64,
    /// Requests past a source's or the overall budget (INVITEs among them got 503).
    pub over_budget: AtomicU64,
    /// Replies not sent because too many were already waiting to go out (a peer not reading).
    pub replies_dropped: AtomicU64,
}

pub struct SipSettings {
    pub listen: SocketAddr,
    pub peers: PeerAllowList,
    /// Digest credentials required on INVITE, if any.
    pub auth: Option<TrunkCredentials>,
    /// Answer strangers 403 rather than dropping what they send.
    pub answer_strangers: bool,
    /// Out-of-dialog requests a second from one source, and from all together.
    pub per_source_rate: u32,
    pub overall_rate: u32,
}

/// The longest a reply may take to go out before it is given up (a peer that does not read).
const REPLY_LIMIT: Duration = Duration::from_secs(2);
/// How long a refused INVITE's transaction is kept to absorb retransmissions and the ACK.
const DRAIN_LIMIT: Duration = Duration::from_secs(32);
/// Replies under way at once; past it, requests that need one are dropped.
const REPLIES_IN_FLIGHT: usize = 2048;
/// Refused INVITE transactions kept at once to absorb retransmissions; past it a refused
/// INVITE's transaction ends with its reply (a retransmission then gets the answer again).
const DRAINS: usize = 16_384;
/// Refused INVITEs remembered by Call-ID, so that a retransmission that comes as a new
/// transaction is answered again but not recorded again.
const REFUSED_REMEMBERED: usize = 16_384;
const REFUSED_MEMORY: Duration = Duration::from_secs(64);

/// The application's say on new calls, asked for every INVITE before it becomes a call.
pub trait Admission: Send + Sync {
    /// `Some` turns the INVITE away with 503 and this Retry-After (in seconds).
    fn refuse(&self) -> Option<(ShedReason, u32)>;

    /// An INVITE that was turned away (by `refuse`, or because the call channel was full), for
    /// the call's record. Must not block.
    fn turned_away(&self, call: TurnedAway);
}

/// What is known of an INVITE turned away at the door.
#[derive(Debug, Clone)]
pub struct TurnedAway {
    pub sip_call_id: String,
    pub caller: PhoneNumber,
    pub dialed: PhoneNumber,
    pub peer: SocketAddr,
    pub transport: &'static str,
    pub why: ShedReason,
}

/// How long a carrier should wait before offering a call again when the call tasks were full.
const OVERLOAD_RETRY_AFTER: u32 = 5;

/// A running SIP endpoint. Dropping it does not stop it: call [`SipEdge::shutdown`].
pub struct SipEdge {
    pub udp_addr: SocketAddr,
    layer: Arc<DialogLayer>,
    pub tcp_addr: SocketAddr,
    pub stats: Arc<SipStats>,
    token: CancellationToken,
}

impl SipEdge {
    /// Binds UDP and TCP on `settings.listen` (port 0: a free port, the same for both) and
    /// starts serving. New calls arrive on `calls` when `admission` takes them; when that
    /// channel is full, INVITEs get 503 too.
    pub async fn start(
        settings: SipSettings,
        calls: mpsc::Sender<InboundCall>,
        admission: Arc<dyn Admission>,
    ) -> Result<SipEdge, SipError> {
        let token = CancellationToken::new();
        let stats = Arc::new(SipStats::default());
        let (socket, udp_addr) = bind_udp_and_tcp_port(settings.listen).await?;
        let tcp_addr = udp_addr;
        let guarded = GuardedUdpSocket {
            socket,
            stats: Arc::clone(&stats.datagrams),
            peers: settings.peers.clone(),
            strangers: Arc::clone(&stats.strangers),
            answer_strangers: settings.answer_strangers,
        };
        let udp = UdpConnection::from_socket(Arc::new(guarded), None, Some(token.child_token()))
            .await
            .map_err(|e| SipError::Stack(e.to_string()))?;
        let transport = TransportLayer::new(token.child_token());
        if !settings.answer_strangers {
            // TCP connections from strangers are closed at accept, before any byte is read.
            let (peers, strangers) = (settings.peers.clone(), Arc::clone(&stats.strangers));
            transport.set_whitelist(move |ip: std::net::IpAddr| {
                let allowed = peers.allows(ip);
                if !allowed {
                    strangers.seen(SocketAddr::new(ip, 0), "tcp");
                }
                std::future::ready(allowed)
            });
        }
        transport.add_transport(udp.into());
        let tcp = TcpListenerConnection::new(tcp_addr, None)
            .await
            .map_err(|e| SipError::Stack(e.to_string()))?;
        transport.add_transport(tcp.into());

        let endpoint = EndpointBuilder::new()
            .with_user_agent(concat!("tsunagu/", env!("CARGO_PKG_VERSION")))
            .with_transport_layer(transport)
            .with_cancel_token(token.child_token())
            .with_option(EndpointOption::default())
            .build();
        let incoming = endpoint
            .incoming_transactions()
            .map_err(|e| SipError::Stack(e.to_string()))?;
        let layer = Arc::new(DialogLayer::new(endpoint.inner.clone()));
        let serve = endpoint.inner.clone();
        tokio::spawn(async move {
            if let Err(e) = serve.serve().await {
                warn!(error = %e, "the SIP endpoint stopped");
            }
        });
        let edge = Edge {
            layer: Arc::clone(&layer),
            peers: settings.peers,
            stats: Arc::clone(&stats),
            calls,
            tcp_addr,
            admission,
            auth: settings.auth,
            nonces: Nonces::default(),
            answer_strangers: settings.answer_strangers,
            budget: Budget::new(
                Rate::per_second(settings.per_source_rate.max(1)),
                Rate::per_second(settings.overall_rate.max(1)),
                now(),
            ),
            replies: Arc::new(tokio::sync::Semaphore::new(REPLIES_IN_FLIGHT)),
            drains: Arc::new(tokio::sync::Semaphore::new(DRAINS)),
            refused: RecentlyRefused::default(),
        };
        tokio::spawn(edge.run(incoming, token.clone()));
        // The stack binds TCP inside its serve task: "listening" is said (and a peer may
        // connect) once the port really listens, not when the task has merely started.
        if !tcp_listening(tcp_addr, std::time::Duration::from_secs(5)).await {
            warn!(%tcp_addr, "the SIP TCP port is not listening yet");
        }
        info!(%udp_addr, %tcp_addr, "listening for SIP");
        Ok(SipEdge {
            udp_addr,
            layer,
            tcp_addr,
            stats,
            token,
        })
    }

    /// Places calls out through the trunk.
    pub fn dialer(&self, settings: super::dialer::DialerSettings) -> super::dialer::Dialer {
        super::dialer::Dialer {
            layer: Arc::clone(&self.layer),
            local: self.udp_addr,
            settings,
        }
    }

    /// Stops the endpoint: no more requests are read; calls in progress lose their signalling.
    pub fn shutdown(&self) {
        self.token.cancel();
    }
}

struct Edge {
    layer: Arc<DialogLayer>,
    peers: PeerAllowList,
    stats: Arc<SipStats>,
    calls: mpsc::Sender<InboundCall>,
    tcp_addr: SocketAddr,
    admission: Arc<dyn Admission>,
    auth: Option<TrunkCredentials>,
    nonces: Nonces,
    answer_strangers: bool,
    budget: Budget,
    /// Permits for replies under way.
    replies: Arc<tokio::sync::Semaphore>,
    /// Permits for refused INVITEs' transactions kept after their reply.
    drains: Arc<tokio::sync::Semaphore>,
    refused: RecentlyRefused,
}

/// The Call-IDs of INVITEs turned away lately (a bounded memory).
#[derive(Default)]
struct RecentlyRefused {
    seen: std::collections::HashMap<String, std::time::Instant>,
}

impl RecentlyRefused {
    /// Remembers `call_id` at `now`; true when it was turned away already (a retransmission).
    fn again(&mut self, call_id: &str, now: std::time::Instant) -> bool {
        if let Some(at) = self.seen.get(call_id) {
            if now.saturating_duration_since(*at) < REFUSED_MEMORY {
                return true;
            }
        }
        if self.seen.len() >= REFUSED_REMEMBERED {
            self.seen
                .retain(|_, at| now.saturating_duration_since(*at) < REFUSED_MEMORY);
            if self.seen.len() >= REFUSED_REMEMBERED {
                self.seen.clear();
            }
        }
        self.seen.insert(call_id.to_string(), now);
        false
    }
}

impl Edge {
    async fn run(mut self, mut incoming: rsipstack::transaction::TransactionReceiver, token: CancellationToken) {
        loop {
            let tx = tokio::select! {
                _ = token.cancelled() => return,
                tx = incoming.recv() => match tx { Some(tx) => tx, None => return },
            };
            self.request(tx);
        }
    }

    /// Decides what a request gets; never waits (replies go out from tasks of their own).
    fn request(&mut self, tx: Transaction) {
        let source = tx
            .connection
            .as_ref()
            .and_then(|c| c.get_remote_addr())
            .and_then(|a| a.get_socketaddr().ok());
        let method = tx.original.method;
        let Some(source) = source else {
            return;
        };
        if !self.peers.allows(source.ip()) {
            // Not one of our trunk peers: a counter and a line a second at most, nothing else
            // (no dialog, no RTP port, no call record), and by default no answer either.
            self.stats.strangers.seen(source, method.to_string().as_str());
            if self.answer_strangers {
                self.reply(tx, StatusCode::Forbidden, vec![]);
            }
            return;
        }
        if let Some((status, problem, headers)) = edge_problem(&tx) {
            self.stats.bad_requests.fetch_add(1, Ordering::Relaxed);
            info!(peer = %source, %method, %problem, "refused a request");
            self.reply(tx, status, headers);
            return;
        }
        let in_dialog = matches!(tx.original.to_header().and_then(|t| t.tag()), Ok(Some(_)));
        if in_dialog {
            // Calls in progress are never budgeted: their ACKs and BYEs end calls.
            self.in_dialog(tx, method);
            return;
        }
        if let Err(over) = self.budget.take(source.ip(), now()) {
            self.stats.over_budget.fetch_add(1, Ordering::Relaxed);
            if method == Method::Invite {
                debug!(peer = %source, ?over, "over the request budget: 503");
                let retry_after = self.budget.retry_after().as_secs().to_string();
                self.record_turned_away(&tx, source, ShedReason::Overload);
                self.reply(
                    tx,
                    StatusCode::ServiceUnavailable,
                    vec![Header::RetryAfter(retry_after.into())],
                );
            } else if over == OverBudget::Source {
                debug!(peer = %source, %method, "over the source's request budget: dropped");
            }
            return;
        }
        match method {
            Method::Options => {
                self.stats.options.fetch_add(1, Ordering::Relaxed);
                let headers = vec![
                    Header::Allow(ALLOW.into()),
                    Header::Accept("application/sdp, application/dtmf-relay".into()),
                ];
                self.reply(tx, StatusCode::OK, headers);
            }
            Method::Invite => {
                if let Some(credentials) = &self.auth {
                    let authorization = tx.original.header_value("Authorization");
                    let uri = tx.original.uri.to_string();
                    if let Check::Challenge(challenge) =
                        self.nonces.check(credentials, authorization.as_deref(), &uri, now())
                    {
                        if authorization.is_some() {
                            self.stats.auth_failures.fetch_add(1, Ordering::Relaxed);
                            warn!(peer = %source, "INVITE with wrong, replayed or stale credentials: 401");
                        }
                        let headers = vec![Header::WwwAuthenticate(challenge.into())];
                        self.reply(tx, StatusCode::Unauthorized, headers);
                        return;
                    }
                }
                self.invite(tx, source)
            }
            Method::Bye | Method::Cancel | Method::Info | Method::Update => {
                self.reply(tx, StatusCode::CallTransactionDoesNotExist, vec![])
            }
            _ => self.reply(tx, StatusCode::MethodNotAllowed, vec![Header::Allow(ALLOW.into())]),
        }
    }

    /// A request within a dialog: the dialog handles it in a task of its own.
    fn in_dialog(&mut self, mut tx: Transaction, method: Method) {
        match self.layer.match_dialog(&tx) {
            Some(mut dialog) => {
                tokio::spawn(async move {
                    let _ = dialog.handle(&mut tx).await;
                    if tx.last_response.is_none() && tx.original.method != Method::Ack {
                        let _ =
                            tokio::time::timeout(REPLY_LIMIT, tx.reply(StatusCode::CallTransactionDoesNotExist)).await;
                    }
                });
            }
            None if method == Method::Ack => {}
            None => self.reply(tx, StatusCode::CallTransactionDoesNotExist, vec![]),
        }
    }

    /// Replies without a dialog from a task of its own, bounded in time; an INVITE's
    /// transaction is then kept to absorb retransmissions and the ACK (RFC 3261 §17.2.1). When
    /// too many replies are under way already, the request is dropped and counted.
    fn reply(&self, mut tx: Transaction, status: StatusCode, headers: Vec<Header>) {
        let Ok(permit) = Arc::clone(&self.replies).try_acquire_owned() else {
            self.stats.replies_dropped.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let drains = Arc::clone(&self.drains);
        tokio::spawn(async move {
            let sent = tokio::time::timeout(REPLY_LIMIT, tx.reply_with(status, headers, None)).await;
            drop(permit);
            if sent.is_err() {
                debug!("a reply did not go out in time: given up");
                return;
            }
            if tx.original.method != Method::Invite {
                return;
            }
            if let Ok(_drain) = drains.try_acquire_owned() {
                let _ = tokio::time::timeout(DRAIN_LIMIT, async { while tx.receive().await.is_some() {} }).await;
            }
        });
    }

    /// Records an INVITE turned away, once per Call-ID (its retransmissions are answered again,
    /// not counted again).
    fn record_turned_away(&mut self, tx: &Transaction, peer: SocketAddr, why: ShedReason) {
        let away = self.turned_away(tx, peer, why);
        if !self.refused.again(&away.sip_call_id, now()) {
            self.admission.turned_away(away);
        }
    }

    /// What is known of an INVITE that is turned away.
    fn turned_away(&self, tx: &Transaction, peer: SocketAddr, why: ShedReason) -> TurnedAway {
        let request = &tx.original;
        TurnedAway {
            sip_call_id: request
                .call_id_header()
                .map(|c| c.value().to_string())
                .unwrap_or_default(),
            caller: PhoneNumber::from(
                request
                    .from_header()
                    .ok()
                    .and_then(|f| f.uri().ok())
                    .and_then(|u| u.user().map(str::to_string))
                    .unwrap_or_default(),
            ),
            dialed: PhoneNumber::from(request.uri.user().map(str::to_string).unwrap_or_default()),
            peer,
            transport: transport_of(tx),
            why,
        }
    }

    fn invite(&mut self, mut tx: Transaction, peer: SocketAddr) {
        self.stats.invites.fetch_add(1, Ordering::Relaxed);
        // The edge is the only sender on `calls`: room now is room at the send below.
        let refusal = self
            .admission
            .refuse()
            .or_else(|| (self.calls.capacity() == 0).then_some((ShedReason::Overload, OVERLOAD_RETRY_AFTER)));
        if let Some((why, retry_after)) = refusal {
            info!(peer = %peer, %why, "new call turned away with 503");
            self.record_turned_away(&tx, peer, why);
            self.reply(
                tx,
                StatusCode::ServiceUnavailable,
                vec![Header::RetryAfter(retry_after.to_string().into())],
            );
            return;
        }
        let away = self.turned_away(&tx, peer, ShedReason::Draining);
        let request = &tx.original;
        let session_expires = request
            .session_expires_header()
            .filter(|_| request.header_contains_token("Supported", "timer"))
            .and_then(|h| h.value().split(';').next().and_then(|s| s.trim().parse::<u32>().ok()));
        let offer = if request.body.is_empty() {
            Err(SdpError::NoAudio)
        } else {
            parse_offer(&request.body)
        };
        let transport = transport_of(&tx);
        let contact = if transport == "tcp" {
            rsipstack::sip::Uri::try_from(format!("sip:tsunagu@{};transport=tcp", self.tcp_addr).as_str()).ok()
        } else {
            None
        };
        let (state_tx, state_rx) = self.layer.new_dialog_state_channel();
        let dialog = match self.layer.get_or_create_server_invite(&tx, state_tx, None, contact) {
            Ok(dialog) => dialog,
            Err(e) => {
                debug!(peer = %peer, error = %e, "INVITE refused by the dialog layer");
                self.reply(
                    tx,
                    StatusCode::Other(400, "Bad Request (Contact or From tag missing)".into()),
                    vec![],
                );
                return;
            }
        };
        let leg = CallLeg {
            dialog: dialog.clone(),
            layer: Arc::clone(&self.layer),
        };
        let (events_tx, events) = mpsc::unbounded_channel();
        let call = InboundCall {
            sip_call_id: away.sip_call_id.clone(),
            caller: away.caller.clone(),
            dialed: away.dialed.clone(),
            peer,
            transport,
            offer,
            session_expires,
            leg: leg.clone(),
            events,
        };
        match self.calls.try_send(call) {
            Ok(()) => {
                tokio::spawn(map_dialog_states(state_rx, leg, events_tx));
                let mut dialog = dialog;
                // handle() sends 100 Trying, drives the transaction (2xx retransmissions,
                // CANCEL → 487) and must run for the dialog's whole setup.
                tokio::spawn(async move {
                    let _ = dialog.handle(&mut tx).await;
                });
            }
            Err(_) => {
                // The calls' side is gone: the service is stopping.
                info!(peer = %peer, "the service is stopping: 503");
                self.admission.turned_away(away);
                let _ = dialog.reject(Some(StatusCode::ServiceUnavailable), None);
                self.layer.remove_dialog(&dialog.id());
                let mut dialog = Dialog::Invite(dialog);
                tokio::spawn(async move {
                    let _ = dialog.handle(&mut tx).await;
                });
            }
        }
    }
}

fn transport_of(tx: &Transaction) -> &'static str {
    match tx.connection.as_ref().map(|c| c.get_addr().r#type) {
        Some(Some(rsipstack::sip::transport::Transport::Tcp)) => "tcp",
        _ => "udp",
    }
}

/// The edge reads the clock for nonce lifetimes.
#[allow(clippy::disallowed_methods)]
fn now() -> std::time::Instant {
    std::time::Instant::now()
}

/// Binds the UDP socket on `listen` and makes sure the same port is free for TCP: rsipstack
/// binds TCP only inside serve() and never reads back a port 0, so TCP takes the UDP port. With
/// port 0 a port whose TCP side is taken is given back and another one tried.
async fn bind_udp_and_tcp_port(listen: SocketAddr) -> Result<(tokio::net::UdpSocket, SocketAddr), SipError> {
    let bind_error = |addr, source| SipError::Bind { addr, source };
    let attempts = if listen.port() == 0 { 20 } else { 1 };
    let mut last_error = None;
    for _ in 0..attempts {
        let socket = tokio::net::UdpSocket::bind(listen)
            .await
            .map_err(|e| bind_error(listen, e))?;
        let addr = socket.local_addr().map_err(|e| bind_error(listen, e))?;
        match std::net::TcpListener::bind(addr) {
            Ok(_probe) => return Ok((socket, addr)),
            Err(e) => last_error = Some(bind_error(addr, e)),
        }
    }
    Err(last_error.unwrap_or_else(|| bind_error(listen, std::io::Error::from(std::io::ErrorKind::AddrInUse))))
}

/// Waits until a socket listens on `addr`'s TCP port, as the kernel's socket table says
/// (connecting to find out would look like a peer to the stack, and binding would take the
/// port from it). Where there is no such table, it does not wait. (An edge: it reads the clock.)
#[allow(clippy::disallowed_methods)]
async fn tcp_listening(addr: SocketAddr, limit: std::time::Duration) -> bool {
    let port = format!(":{:04X} ", addr.port());
    let table = if addr.is_ipv4() {
        "/proc/net/tcp"
    } else {
        "/proc/net/tcp6"
    };
    let listening = || -> Option<bool> {
        let text = std::fs::read_to_string(table).ok()?;
        // Columns: sl, local_address, rem_address, st (0A = LISTEN), ...
        Some(text.lines().skip(1).any(|line| {
            let mut columns = line.split_whitespace().skip(1);
            let local = columns.next().unwrap_or_default();
            let state = columns.nth(1).unwrap_or_default();
            state == "0A" && format!("{local} ").ends_with(&port)
        }))
    };
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match listening() {
            None | Some(true) => return true,
            Some(false) if tokio::time::Instant::now() >= deadline => return false,
            Some(false) => tokio::time::sleep(std::time::Duration::from_millis(5)).await,
        }
    }
}

/// The option tags we support in Require (RFC 3261 §8.2.2.3).
const SUPPORTED_EXTENSIONS: [&str; 1] = ["timer"];

/// What our edge refuses that the stack would let through: the status, why, and the headers
/// the response needs. The version and scheme checks repeat `raw::check` on purpose: that one
/// sees UDP datagrams only, and requests over TCP reach this point without it.
fn edge_problem(tx: &Transaction) -> Option<(StatusCode, String, Vec<Header>)> {
    let request = &tx.original;
    if request.version != Version::V2 {
        return Some((
            StatusCode::VersionNotSupported,
            format!("version {}", request.version),
            vec![],
        ));
    }
    if matches!(request.uri.scheme, Some(Scheme::Other(_))) {
        return Some((
            StatusCode::Other(416, "Unsupported URI Scheme".into()),
            "Request-URI scheme".into(),
            vec![],
        ));
    }
    match request.cseq_header().and_then(|c| c.method()) {
        Ok(method) if method == request.method => {}
        _ => {
            return Some((
                StatusCode::Other(400, "Bad Request (CSeq method does not match)".into()),
                "CSeq".into(),
                vec![],
            ));
        }
    }
    if !matches!(request.method, Method::Ack | Method::Cancel) {
        let unsupported: Vec<String> = request
            .headers
            .iter()
            .filter(|h| h.name().eq_ignore_ascii_case("Require"))
            .flat_map(|h| h.value().split(',').map(|t| t.trim().to_string()).collect::<Vec<_>>())
            .filter(|tag| !tag.is_empty() && !SUPPORTED_EXTENSIONS.contains(&tag.as_str()))
            .collect();
        if !unsupported.is_empty() {
            let list = unsupported.join(", ");
            return Some((
                StatusCode::BadExtension,
                format!("Require: {list}"),
                vec![Header::Unsupported(list.into())],
            ));
        }
    }
    if request.method == Method::Invite {
        if request.contact_header().is_err() {
            return Some((
                StatusCode::Other(400, "Bad Request (no Contact)".into()),
                "Contact".into(),
                vec![],
            ));
        }
        let content_type = request
            .header_value("Content-Type")
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !request.body.is_empty() && content_type.split(';').next().map(str::trim) != Some("application/sdp") {
            return Some((
                StatusCode::UnsupportedMediaType,
                format!("body of type '{content_type}'"),
                vec![Header::Accept("application/sdp".into())],
            ));
        }
    }
    None
}
