//! Network namespaces of a test's own (needs root or CAP_SYS_ADMIN, as CI has): one with only
//! loopback for the test's thread, and a second one for a stranger, joined to it by a veth pair,
//! so that what the stranger sends really arrives from another address.

use std::net::Ipv4Addr;
use std::process::Command;

/// A network namespace with only `lo`, up, for the calling thread (and the threads and
/// processes it starts). Fails the test (never skips it) when it cannot.
pub fn enter_loopback_namespace() {
    // SAFETY: unshare(2) with CLONE_NEWNET touches only this thread's namespace membership.
    let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
    assert_eq!(
        rc,
        0,
        "cannot make a network namespace (needs CAP_SYS_ADMIN, as CI has): {}",
        std::io::Error::last_os_error()
    );
    ip(&["link", "set", "lo", "up"]);
}

fn ip(args: &[&str]) {
    let status = Command::new("ip")
        .args(args)
        .status()
        .unwrap_or_else(|e| panic!("ip (iproute2) is needed: {e}"));
    assert!(status.success(), "ip {}", args.join(" "));
}

/// A stranger's host: a named namespace joined to the caller's by a veth pair. We are
/// `ours`, the stranger is `theirs`. Removed when dropped.
pub struct Stranger {
    pub name: String,
    pub ours: Ipv4Addr,
    pub theirs: Ipv4Addr,
}

impl Stranger {
    /// Call from inside [`enter_loopback_namespace`].
    pub fn new() -> Stranger {
        let name = format!("stranger{}", std::process::id());
        let (ours, theirs) = (Ipv4Addr::new(10, 99, 0, 1), Ipv4Addr::new(10, 99, 0, 2));
        let (near, far) = (format!("vn{}", std::process::id()), format!("vf{}", std::process::id()));
        let _ = Command::new("ip").args(["netns", "del", &name]).status();
        ip(&["netns", "add", &name]);
        ip(&["link", "add", &near, "type", "veth", "peer", "name", &far]);
        ip(&["link", "set", &far, "netns", &name]);
        ip(&["addr", "add", &format!("{ours}/24"), "dev", &near]);
        ip(&["link", "set", &near, "up"]);
        ip(&[
            "netns",
            "exec",
            &name,
            "ip",
            "addr",
            "add",
            &format!("{theirs}/24"),
            "dev",
            &far,
        ]);
        ip(&["netns", "exec", &name, "ip", "link", "set", &far, "up"]);
        ip(&["netns", "exec", &name, "ip", "link", "set", "lo", "up"]);
        Stranger { name, ours, theirs }
    }

    /// A command run on the stranger's host.
    pub fn command(&self, program: &str) -> tokio::process::Command {
        let mut command = tokio::process::Command::new("ip");
        command.args(["netns", "exec", &self.name, program]);
        command.kill_on_drop(true);
        command
    }
}

impl Drop for Stranger {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.name]).status();
    }
}
