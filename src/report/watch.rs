//! The floor's warnings: where the day is heading while there is still time to act (CC-SLA:
//! a day heading below 85 % must be re-planned at once).
//!
//! - **answer rate below target**: the day so far is under 85 % (once [`MIN_OFFERED`] calls
//!   were offered: the first two calls of the morning say nothing);
//! - **last hour below target**: the interval before the current one and the current one so
//!   far are under 85 %, even if the day as a whole is not yet;
//! - **volume off forecast**: the intervals over so far brought [`VOLUME_MARGIN`] more or fewer
//!   offered calls than forecast (once [`MIN_FORECAST`] were forecast);
//! - **understaffed**: fewer agents staffed than Erlang C needs for this interval.

use serde::Serialize;

use super::daily::TARGET;
use super::forecast::{Forecast, volume_ratio};
use super::tally::Tally;

pub const MIN_OFFERED: u32 = 10;
pub const MIN_FORECAST: f64 = 10.0;
pub const VOLUME_MARGIN: f64 = 0.2;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    /// Stable, for tests and styling: `answer-rate`, `last-hour`, `volume-high`, `volume-low`,
    /// `understaffed`.
    pub code: &'static str,
    /// What the supervisor reads.
    pub text: String,
}

/// What the warnings look at.
#[derive(Debug, Clone, Copy)]
pub struct Now<'a> {
    pub day: &'a Tally,
    pub intervals: &'a [Tally],
    /// The interval the clock is in (0..48).
    pub interval: usize,
    pub forecast: Option<&'a Forecast>,
    pub staffed: u32,
    pub needed: u32,
}

fn percent(rate: f64) -> String {
    format!("{:.1} %", rate * 100.0)
}

pub fn warnings(now: Now<'_>) -> Vec<Warning> {
    let mut out = Vec::new();
    if let Some(rate) = now.day.answer_rate()
        && now.day.offered >= MIN_OFFERED
        && rate < TARGET
    {
        out.push(Warning {
            code: "answer-rate",
            text: format!(
                "本日の応答率が {} で目標 85 % を下回っています。直ちに体制を見直してください。",
                percent(rate)
            ),
        });
    }
    let mut last_hour = Tally::default();
    for tally in now
        .intervals
        .iter()
        .take(now.interval + 1)
        .skip(now.interval.saturating_sub(1))
    {
        last_hour.add(tally);
    }
    if let Some(rate) = last_hour.answer_rate()
        && last_hour.offered >= MIN_OFFERED
        && rate < TARGET
    {
        out.push(Warning {
            code: "last-hour",
            text: format!(
                "直近1時間の応答率が {}（{} 件中 {} 件応答）です。",
                percent(rate),
                last_hour.offered,
                last_hour.answered
            ),
        });
    }
    if let Some(forecast) = now.forecast {
        let offered: Vec<u32> = now.intervals.iter().map(|t| t.offered).collect();
        let expected: f64 = forecast.intervals.iter().take(now.interval).map(|i| i.offered).sum();
        if expected >= MIN_FORECAST
            && let Some(ratio) = volume_ratio(forecast, &offered, now.interval)
        {
            if ratio > 1.0 + VOLUME_MARGIN {
                out.push(Warning {
                    code: "volume-high",
                    text: format!(
                        "入電数が予測の {:.0} % です（予測 {:.0} 件、実績 {} 件）。増員を検討してください。",
                        ratio * 100.0,
                        expected,
                        offered.iter().take(now.interval).sum::<u32>()
                    ),
                });
            } else if ratio < 1.0 - VOLUME_MARGIN {
                out.push(Warning {
                    code: "volume-low",
                    text: format!(
                        "入電数が予測の {:.0} % です（予測 {:.0} 件、実績 {} 件）。",
                        ratio * 100.0,
                        expected,
                        offered.iter().take(now.interval).sum::<u32>()
                    ),
                });
            }
        }
    }
    if now.staffed < now.needed {
        out.push(Warning {
            code: "understaffed",
            text: format!(
                "この時間帯に必要なオペレーターは {} 人、対応中は {} 人です（{} 人不足）。",
                now.needed,
                now.staffed,
                now.needed - now.staffed
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::outcome::{Fate, Outcome};

    fn tally(answered: u32, busy: u32) -> Tally {
        let mut t = Tally::default();
        for _ in 0..answered {
            t.count(Outcome::Offered(Fate::Answered { wait_ms: 0 }), None, 20_000);
        }
        for _ in 0..busy {
            t.count(Outcome::Offered(Fate::Busy), None, 20_000);
        }
        t
    }

    fn codes(w: &[Warning]) -> Vec<&str> {
        w.iter().map(|w| w.code).collect()
    }

    #[test]
    fn a_bad_last_hour_warns_before_the_day_falls_below_target() {
        let mut intervals = vec![Tally::default(); 48];
        intervals[18] = tally(40, 0);
        intervals[19] = tally(40, 0);
        intervals[20] = tally(8, 4);
        intervals[21] = tally(7, 3);
        let mut day = Tally::default();
        intervals.iter().for_each(|t| day.add(t));
        let now = Now {
            day: &day,
            intervals: &intervals,
            interval: 21,
            forecast: None,
            staffed: 3,
            needed: 3,
        };
        let w = warnings(now);
        assert_eq!(
            codes(&w),
            ["last-hour"],
            "day 95/102 is fine, the last hour 15/22 is not"
        );
        assert!(w[0].text.contains("直近1時間の応答率が 68.2 %"), "{}", w[0].text);
        let short = warnings(Now {
            staffed: 1,
            needed: 4,
            ..now
        });
        assert_eq!(codes(&short), ["last-hour", "understaffed"]);
        assert!(short[1].text.contains("3 人不足"));
    }

    fn forecast(per_interval: f64) -> Forecast {
        Forecast {
            date: "2026-12-02".into(),
            basis: vec!["2026-11-25".into()],
            closed: None,
            intervals: (0..48)
                .map(|i| crate::report::forecast::IntervalForecast {
                    start: crate::report::metrics::interval_label(i),
                    offered: if (18..38).contains(&i) { per_interval } else { 0.0 },
                    agents_needed: 2,
                })
                .collect(),
            offered: per_interval * 20.0,
        }
    }

    #[test]
    fn volume_off_the_forecast_warns_both_ways_once_enough_was_forecast() {
        // 09:00 and 09:30 are over (10 forecast each); now is 10:00.
        let mut busy = vec![Tally::default(); 48];
        busy[18] = tally(15, 0);
        busy[19] = tally(14, 0);
        let mut day = Tally::default();
        busy.iter().for_each(|t| day.add(t));
        let f = forecast(10.0);
        fn now<'a>(day: &'a Tally, intervals: &'a [Tally], interval: usize, forecast: &'a Forecast) -> Now<'a> {
            Now {
                day,
                intervals,
                interval,
                forecast: Some(forecast),
                staffed: 2,
                needed: 2,
            }
        }
        let high = warnings(now(&day, &busy, 20, &f));
        assert_eq!(codes(&high), ["volume-high"]);
        assert!(
            high[0].text.contains("予測の 145 % です（予測 20 件、実績 29 件）"),
            "{}",
            high[0].text
        );
        let mut quiet = vec![Tally::default(); 48];
        quiet[18] = tally(5, 0);
        quiet[19] = tally(6, 0);
        let mut quiet_day = Tally::default();
        quiet.iter().for_each(|t| quiet_day.add(t));
        assert_eq!(codes(&warnings(now(&quiet_day, &quiet, 20, &f))), ["volume-low"]);
        assert!(
            warnings(now(&day, &busy, 18, &f)).is_empty(),
            "nothing forecast before 09:00 is over yet"
        );
    }

    #[test]
    fn few_calls_say_nothing() {
        let intervals = vec![tally(1, 2); 48];
        let day = tally(1, 2);
        let w = warnings(Now {
            day: &day,
            intervals: &intervals[..1],
            interval: 0,
            forecast: None,
            staffed: 0,
            needed: 0,
        });
        assert!(w.is_empty(), "{w:?}");
    }
}
