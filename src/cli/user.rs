//! `tsunagu user add`: creates staff accounts from the command line. The password comes from
//! standard input when that is not a terminal (so scripts and installers can create users), or
//! is asked for twice without echo.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{Context, bail};
use tsunagu::auth::{Role, password, valid_user_name};
use tsunagu::lang::Lang;
use tsunagu::store::users::UserError;

use super::serve::ServeArgs;

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The login name (letters, digits, '.', '-', '_').
    name: String,
    /// agent, supervisor or admin.
    #[arg(long)]
    role: String,
    /// A language the agent serves with its proficiency 1–3, e.g. --skill vi:3 --skill en:2.
    #[arg(long = "skill", value_name = "LANG:LEVEL")]
    skills: Vec<String>,
    #[command(flatten)]
    serve: ServeArgs,
}

pub async fn add(args: AddArgs) -> anyhow::Result<ExitCode> {
    if !valid_user_name(&args.name) {
        bail!(
            "'{}' is not a user name (1–64 letters, digits, '.', '-', '_')",
            args.name
        );
    }
    let Some(role) = Role::parse(&args.role) else {
        bail!("unknown role '{}' (city, agent, supervisor or admin)", args.role);
    };
    let mut skills = Vec::new();
    for skill in &args.skills {
        let parsed = skill
            .split_once(':')
            .and_then(|(code, level)| Some((Lang::from_code(code)?, level.parse::<u8>().ok()?)));
        match parsed {
            Some((lang, level)) if (1..=3).contains(&level) => skills.push((lang.code().to_string(), level)),
            _ => bail!("'{skill}' is not a skill (LANG:LEVEL, LANG one of ja en zh ko tl es pt vi, LEVEL 1–3)"),
        }
    }
    let secret = read_password()?;
    let hash = password::hash(&secret)?;
    let (_, store) = args.serve.open_store().await?;
    let created = store
        .create_user(&args.name, role.as_str(), &hash, &skills, now())
        .await;
    store.close().await;
    match created {
        Ok(()) => {
            println!("created {} ({role})", args.name);
            Ok(ExitCode::SUCCESS)
        }
        Err(UserError::Exists(name)) => {
            eprintln!("tsunagu: a user named '{name}' exists already; nothing was changed");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}

fn read_password() -> anyhow::Result<String> {
    if !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    let first = rpassword::prompt_password("password: ")?;
    let second = rpassword::prompt_password("again: ")?;
    if first != second {
        bail!("the two passwords differ");
    }
    Ok(first)
}

/// The command line is an edge: it reads the clock.
#[allow(clippy::disallowed_methods)]
fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}
