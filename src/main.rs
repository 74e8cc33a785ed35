//! The `tsunagu` command: glue between the command line and the library.
//! Errors are printed once with their cause chain, prefixed `tsunagu:`; the exit code is 1
//! when a check finds problems and 2 when the command itself fails.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    keep_large_blocks_returnable();
    let args = cli::Args::parse();
    tsunagu::logging::init(std::io::stderr);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("tsunagu: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tsunagu: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `tsunagu calendar open … | head` closes the pipe early; that is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Every login verifies an argon2id hash in a 19 MiB block. glibc serves blocks that large by
/// mmap, but after the first one is freed it raises its mmap threshold above 19 MiB, and later
/// blocks come from per-thread heaps that keep the memory: measured here, 10 logins grew the
/// service from 84 MB to 141 MB and never gave it back. Fixing the threshold keeps such blocks
/// mmapped, so they are returned when the login is done.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_large_blocks_returnable() {
    // SAFETY: mallopt only tunes the allocator; it is called once, before any other thread.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn keep_large_blocks_returnable() {}
