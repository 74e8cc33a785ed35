//! `tsunagu flows check`: validates every flow against the prompts and calendars.

use std::io::Write;
use std::process::ExitCode;

use super::serve::ServeArgs;

pub async fn check(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let config = args.config()?;
    let (calendars, calendar_problems) = tsunagu::server::loading::calendars(config.paths.calendars.as_deref(), None)
        .await
        .map_err(anyhow::Error::msg)?;
    let mut out = std::io::stdout().lock();
    let mut ok = calendar_problems.is_empty();
    for problem in calendar_problems {
        writeln!(out, "{problem}")?;
    }
    let prompts = match tsunagu::server::loading::prompts(&config.paths.prompts) {
        Ok(prompts) => prompts,
        Err(e) => {
            writeln!(out, "{e}")?;
            return Ok(ExitCode::from(1));
        }
    };
    let (flows, problems) = tsunagu::server::loading::check_flows(&config.paths.flows, &prompts, &calendars)?;
    for problem in &problems {
        writeln!(out, "{problem}")?;
    }
    ok &= problems.is_empty();
    for (id, flow) in &flows {
        writeln!(out, "{id}: ok ({} nodes)", flow.nodes.len())?;
    }
    if !flows.contains_key(&config.center.flow) && problems.is_empty() {
        writeln!(out, "center.flow: no flow '{}'", config.center.flow)?;
        ok = false;
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
