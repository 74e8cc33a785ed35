//! What one floor refresh costs (every 2 s, for every supervisor watching): the day's figures
//! from the running tally the journal feeds, against what the floor did before, re-reading the
//! whole day from SQLite and folding it. CALLS calls of a busy day (answered, abandoned, busy,
//! spread over 09:00–19:00) go through the real journal with the tally as its tap; then each
//! way is timed over many refreshes. Run with `ops/bench/floor [CALLS]` (release build).

// A benchmark is an edge: it reads the clock.
#![allow(clippy::disallowed_methods)]

use std::sync::Arc;
use std::time::Instant;

use jiff::civil::date;
use tsunagu::journal::{AbandonPlace, Codec, EndCause, Line, NewCall, Side, Step, StepRow, TimedStep};
use tsunagu::pii::PhoneNumber;
use tsunagu::report::live::{LiveDay, LiveTally};
use tsunagu::report::metrics::{Thresholds, day_metrics};
use tsunagu::store::Store;
use tsunagu::store::journal::{Journal, JournalLimits, Tap, Written};

fn call(n: usize) -> (NewCall, Vec<StepRow>) {
    let id = format!("floor-{n:08}");
    let (start, _) = tsunagu::calendar::tokyo_day(date(2026, 12, 2));
    let arrived = (start + jiff::SignedDuration::from_secs(9 * 3600 + (n as i64 * 7) % 36_000)).to_string();
    let call = NewCall {
        id: id.clone(),
        sip_call_id: format!("{n}@floor"),
        arrived_at: arrived.clone(),
        service_date: "2026-12-02".into(),
        in_hours: true,
        caller: PhoneNumber::from(format!("090{n:08}")),
        dialed: PhoneNumber::from("0120380366"),
        line: Line::TollFree,
        trunk_peer: "127.0.0.1:5060".into(),
        transport: "udp".into(),
    };
    let mut steps = vec![
        Step::Arrived,
        Step::IvrAnswered { codec: Codec::Ulaw },
        Step::Language(tsunagu::lang::Lang::Ja),
        Step::Enqueued {
            queue: "general".into(),
        },
    ];
    match n % 10 {
        0 => steps.push(Step::Busy),
        1 => steps.push(Step::Abandoned {
            place: AbandonPlace::Queue,
        }),
        _ => {
            steps.push(Step::Offered { agent: "a".into() });
            steps.push(Step::AgentAnswered { agent: "a".into() });
            steps.push(Step::Hold { on: true });
            steps.push(Step::Hold { on: false });
            steps.push(Step::AgentHungUp { agent: "a".into() });
        }
    }
    steps.push(Step::Ended {
        cause: EndCause::CallerBye,
        side: Side::Caller,
    });
    let rows = steps
        .into_iter()
        .enumerate()
        .map(|(i, step)| StepRow {
            call_id: id.clone(),
            step: TimedStep {
                at: arrived.clone(),
                offset_ms: i as i64 * 5_000,
                step,
            },
        })
        .collect();
    (call, rows)
}

fn main() {
    let calls: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(6_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let url = format!("sqlite://{}", dir.path().join("floor.db").display());
        let store = Store::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
        let day = date(2026, 12, 2);
        let live = Arc::new(LiveTally::new(LiveDay::new(day, Thresholds::default())));
        let fed = Arc::clone(&live);
        let tap: Tap = Arc::new(move |written| {
            fed.with(|d| match written {
                Written::Call(call) => d.call(call),
                Written::Step(row) => d.step(row),
            })
        });
        let journal = Journal::start_with_tap(store.clone(), JournalLimits::default(), Some(tap));
        let mut rows = 0;
        for n in 0..calls {
            let (call, steps) = call(n);
            journal.call(call);
            rows += 1 + steps.len();
            for step in steps {
                journal.step(step);
            }
        }
        journal.flush().await;

        let refreshes = 200;
        let started = Instant::now();
        let mut offered = 0;
        for _ in 0..refreshes {
            offered = live.with(|d| d.figures(day)).day.offered;
        }
        let tally = started.elapsed().as_secs_f64() / f64::from(refreshes);

        let rereads = 20;
        let started = Instant::now();
        let mut reread_offered = 0;
        for _ in 0..rereads {
            let records = store.calls_of_day("2026-12-02").await.unwrap_or_else(|e| panic!("{e}"));
            let (_, end) = tsunagu::calendar::tokyo_day(day);
            reread_offered = day_metrics(day, &records, &[], end, Thresholds::default()).day.offered;
        }
        let reread = started.elapsed().as_secs_f64() / f64::from(rereads);
        assert_eq!(offered, reread_offered, "both ways count the same day");
        println!(
            "{calls} calls ({rows} rows) on SQLite: running tally {:.3} ms a refresh; re-reading and folding the day {:.1} ms a refresh ({:.0}× more); open calls kept {}",
            tally * 1000.0,
            reread * 1000.0,
            reread / tally,
            live.with(|d| d.open_calls())
        );
        store.close().await;
    });
}
