//! The trunk peers allowed to send us calls: addresses and CIDR blocks. Anyone else gets 403.

use std::net::IpAddr;

use ipnet::IpNet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerAllowList {
    nets: Vec<IpNet>,
}

impl PeerAllowList {
    /// Loopback only (127.0.0.0/8 and ::1): the built-in default, so a SIP tool on the same
    /// machine can call in and nothing else can.
    pub fn loopback() -> PeerAllowList {
        PeerAllowList::parse(&["127.0.0.0/8", "::1/128"]).unwrap_or(PeerAllowList { nets: Vec::new() })
    }

    /// Parses addresses (`192.0.2.10`) and networks (`192.0.2.0/24`).
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<PeerAllowList, String> {
        let nets = entries
            .iter()
            .map(|entry| {
                let text = entry.as_ref().trim();
                text.parse::<IpNet>()
                    .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("'{text}' is neither an IP address nor a CIDR network"))
            })
            .collect::<Result<_, _>>()?;
        Ok(PeerAllowList { nets })
    }

    pub fn allows(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            // An IPv4 peer seen on a dual-stack socket as ::ffff:a.b.c.d is still that peer.
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.nets.iter().any(|net| net.contains(&ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn addresses_and_networks() {
        let list = PeerAllowList::parse(&["192.0.2.10", "198.51.100.0/24"]).unwrap_or_else(|e| panic!("{e}"));
        assert!(list.allows(ip("192.0.2.10")));
        assert!(!list.allows(ip("192.0.2.11")));
        assert!(list.allows(ip("198.51.100.200")));
        assert!(list.allows(ip("::ffff:198.51.100.7")));
        assert!(!list.allows(ip("127.0.0.1")));
        assert!(PeerAllowList::loopback().allows(ip("127.0.0.42")));
        assert!(PeerAllowList::loopback().allows(ip("::1")));
        assert!(PeerAllowList::parse(&["carrier.example"]).is_err());
    }
}
