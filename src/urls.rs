//! Purpose: product URLs, canonical and safe.
//!
//! Two people watching `https://Shop.example/p/1?utm_source=x#reviews` and
//! `https://shop.example/p/1` watch one product, fetched once: the canonical
//! form drops tracking parameters and fragments, lower-cases the host and
//! sorts the query. [`refusal`] turns away URLs that point inside our own
//! network by their literal host (`localhost`, `10.0.0.1`, `[::1]`,
//! `169.254.169.254`); the fetcher checks resolved addresses again.

use ipnet::{Ipv4Net, Ipv6Net};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

/// Query parameters that only track the visitor and never change the page.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "gclsrc",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "mc_cid",
    "mc_eid",
    "_ga",
    "_gl",
    "igshid",
    "yclid",
    "twclid",
    "ttclid",
    "srsltid",
    "ref",
    "ref_",
    "spm",
    "scm",
    "trk",
    "cmpid",
    "s_kwcid",
    "ef_id",
    "epik",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "wickedid",
    "irclickid",
    "clickid",
];

/// Why we will not fetch a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefusal {
    #[error("the address is inside a private network")]
    PrivateAddress,
    #[error("the host name is local to our network")]
    LocalName,
}

/// A canonical product URL and its host (the unit of politeness).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalUrl {
    pub url: String,
    pub host: String,
}

/// Canonicalise an absolute http(s) URL; `None` if it is not one.
pub fn canonicalize(raw: &str) -> Option<CanonicalUrl> {
    let mut url = Url::parse(raw).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() {
        return None;
    }
    url.set_host(Some(&host)).ok()?;
    url.set_fragment(None);
    let mut params: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(key, _)| {
            let key = key.to_ascii_lowercase();
            !key.starts_with("utm_") && !TRACKING_PARAMS.contains(&key.as_str())
        })
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    params.sort();
    if params.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(params);
    }
    Some(CanonicalUrl {
        url: url.into(),
        host,
    })
}

/// Refuse URLs whose host, as written, is inside our network. Names that
/// resolve inside it are caught by the fetcher after DNS.
pub fn refusal(raw: &str) -> Option<UrlRefusal> {
    let url = Url::parse(raw).ok()?;
    match url.host()? {
        Host::Ipv4(ip) => (!is_public_ip(IpAddr::V4(ip))).then_some(UrlRefusal::PrivateAddress),
        Host::Ipv6(ip) => (!is_public_ip(IpAddr::V6(ip))).then_some(UrlRefusal::PrivateAddress),
        Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            let local = name == "localhost"
                || [
                    ".localhost",
                    ".local",
                    ".internal",
                    ".lan",
                    ".home.arpa",
                    ".intranet",
                ]
                .iter()
                .any(|suffix| name.ends_with(suffix))
                || !name.contains('.');
            local.then_some(UrlRefusal::LocalName)
        }
    }
}

/// Whether an address is on the public internet, judged against IANA's
/// special-purpose address registries (IPv4 and IPv6, checked 2026-12) and
/// the multicast ranges: anything in a block that is not globally
/// reachable (loopback, private, link-local where cloud metadata lives,
/// shared CGNAT, documentation, benchmarking, discard, reserved...) is
/// refused, and so are the few globally reachable special blocks, where no
/// shop lives (AS112, AMT, the IETF protocol assignments, ORCHID, SRv6).
/// IPv6 outside global unicast (2000::/3) is refused. IPv4 carried inside
/// IPv6 is judged as the IPv4 address it reaches: mapped (::ffff:0:0/96),
/// NAT64 (64:ff9b::/96) and 6to4 (2002::/16); the other embeddings (the
/// local-use NAT64 prefix 64:ff9b:1::/48, IPv4-translated ::ffff:0:0:0/96,
/// IPv4-compatible ::/96, Teredo 2001::/32) are refused outright, since on
/// a host with such routing they lead to internal IPv4 addresses.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

/// IPv4 blocks never fetched: IANA's special-purpose registry, multicast
/// and the limited broadcast.
const V4_REFUSED: [Ipv4Net; 21] = [
    Ipv4Net::new_assert(Ipv4Addr::new(0, 0, 0, 0), 8), // "this network" (RFC 791)
    Ipv4Net::new_assert(Ipv4Addr::new(10, 0, 0, 0), 8), // private (RFC 1918)
    Ipv4Net::new_assert(Ipv4Addr::new(100, 64, 0, 0), 10), // shared CGNAT (RFC 6598)
    Ipv4Net::new_assert(Ipv4Addr::new(127, 0, 0, 0), 8), // loopback
    Ipv4Net::new_assert(Ipv4Addr::new(169, 254, 0, 0), 16), // link-local, cloud metadata
    Ipv4Net::new_assert(Ipv4Addr::new(172, 16, 0, 0), 12), // private
    Ipv4Net::new_assert(Ipv4Addr::new(192, 0, 0, 0), 24), // IETF protocol assignments
    Ipv4Net::new_assert(Ipv4Addr::new(192, 0, 2, 0), 24), // TEST-NET-1
    Ipv4Net::new_assert(Ipv4Addr::new(192, 31, 196, 0), 24), // AS112-v4
    Ipv4Net::new_assert(Ipv4Addr::new(192, 52, 193, 0), 24), // AMT
    Ipv4Net::new_assert(Ipv4Addr::new(192, 88, 99, 0), 24), // deprecated 6to4 relay anycast
    Ipv4Net::new_assert(Ipv4Addr::new(192, 168, 0, 0), 16), // private
    Ipv4Net::new_assert(Ipv4Addr::new(192, 175, 48, 0), 24), // direct delegation AS112
    Ipv4Net::new_assert(Ipv4Addr::new(198, 18, 0, 0), 15), // benchmarking
    Ipv4Net::new_assert(Ipv4Addr::new(198, 51, 100, 0), 24), // TEST-NET-2
    Ipv4Net::new_assert(Ipv4Addr::new(203, 0, 113, 0), 24), // TEST-NET-3
    Ipv4Net::new_assert(Ipv4Addr::new(224, 0, 0, 0), 4), // multicast
    Ipv4Net::new_assert(Ipv4Addr::new(240, 0, 0, 0), 4), // reserved
    Ipv4Net::new_assert(Ipv4Addr::new(255, 255, 255, 255), 32), // limited broadcast
    Ipv4Net::new_assert(Ipv4Addr::new(233, 252, 0, 0), 24), // MCAST-TEST-NET (inside multicast)
    Ipv4Net::new_assert(Ipv4Addr::new(192, 0, 0, 170), 31), // NAT64 discovery (inside 192.0.0.0/24)
];

const fn v6(segments: [u16; 8], prefix: u8) -> Ipv6Net {
    let [a, b, c, d, e, f, g, h] = segments;
    Ipv6Net::new_assert(Ipv6Addr::new(a, b, c, d, e, f, g, h), prefix)
}

/// IPv6 blocks inside global unicast (2000::/3) never fetched.
const V6_REFUSED: [Ipv6Net; 6] = [
    v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 23), // IETF protocol assignments: Teredo, benchmarking, ORCHID, AMT, AS112...
    v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), // documentation
    v6([0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0], 48), // direct delegation AS112
    v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20), // documentation (RFC 9637)
    v6([0x2002, 0, 0, 0, 0, 0, 0, 0], 16), // 6to4: judged by its IPv4 address instead (below)
    v6([0x2000, 0, 0, 0, 0, 0, 0, 0], 3),  // the global unicast space itself (see is_public_v6)
];

/// Global unicast: every public IPv6 address lies inside.
const V6_GLOBAL: Ipv6Net = V6_REFUSED[5];
/// 6to4 (RFC 3056): the IPv4 address is bits 16-48.
const V6_6TO4: Ipv6Net = V6_REFUSED[4];
/// NAT64's well-known prefix (RFC 6052): the IPv4 address is the last 32 bits.
const V6_NAT64: Ipv6Net = v6([0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96);

fn is_public_v4(ip: Ipv4Addr) -> bool {
    !V4_REFUSED.iter().any(|net| net.contains(&ip))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    let embedded = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    if V6_NAT64.contains(&ip) {
        return is_public_v4(embedded(s[6], s[7]));
    }
    if V6_6TO4.contains(&ip) {
        return is_public_v4(embedded(s[1], s[2]));
    }
    // Everything outside 2000::/3 is special or unassigned: loopback,
    // unspecified, IPv4-compatible and -translated, the local-use NAT64
    // prefix, discard-only, unique-local, link-local, site-local, SRv6
    // SIDs (5f00::/16), multicast.
    V6_GLOBAL.contains(&ip) && !V6_REFUSED[..4].iter().any(|net| net.contains(&ip))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_is_stripped_and_query_sorted() {
        let c =
            canonicalize("https://Shop.Example/p/1?utm_source=x&b=2&fbclid=y&a=1#reviews").unwrap();
        assert_eq!(c.url, "https://shop.example/p/1?a=1&b=2");
        assert_eq!(c.host, "shop.example");
        let c = canonicalize("https://shop.example/p/1?gclid=abc").unwrap();
        assert_eq!(c.url, "https://shop.example/p/1");
        assert_eq!(canonicalize("ftp://shop.example/p/1"), None);
    }

    #[test]
    fn internal_hosts_are_refused() {
        for url in [
            "http://localhost/x",
            "http://127.0.0.1:8080/",
            "http://10.1.2.3/",
            "http://192.168.0.1/",
            "http://172.16.5.4/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:10.0.0.1]/",
            "http://0.0.0.0/",
            "http://100.64.0.1/",
            "http://printer.local/",
            "http://intranet/",
            "http://metadata.google.internal/",
        ] {
            assert!(refusal(url).is_some(), "{url} was allowed");
        }
        for url in [
            "https://shop.example/p/1",
            "http://93.184.216.34/",
            "https://[2606:4700::1111]/",
        ] {
            assert_eq!(refusal(url), None, "{url} was refused");
        }
    }

    /// Every special-purpose block of IANA's registries, and the ways IPv4
    /// hides inside IPv6, as a table: (address, public?).
    #[test]
    fn special_purpose_addresses_are_refused_as_a_table() {
        let table: &[(&str, bool)] = &[
            // IPv4 special-purpose registry.
            ("0.1.2.3", false),
            ("10.255.0.1", false),
            ("100.64.0.1", false),
            ("100.127.255.254", false),
            ("127.0.0.53", false),
            ("169.254.169.254", false),
            ("172.31.255.255", false),
            ("192.0.0.9", false),
            ("192.0.0.170", false),
            ("192.0.2.10", false),
            ("192.31.196.1", false),
            ("192.52.193.1", false),
            ("192.88.99.1", false),
            ("192.168.1.1", false),
            ("192.175.48.1", false),
            ("198.18.0.1", false),
            ("198.19.255.255", false),
            ("198.51.100.7", false),
            ("203.0.113.9", false),
            ("224.0.0.251", false),
            ("233.252.0.1", false),
            ("240.0.0.1", false),
            ("255.255.255.255", false),
            // Public IPv4, including neighbours of the blocks above.
            ("8.8.8.8", true),
            ("93.184.216.34", true),
            ("100.63.255.255", true),
            ("100.128.0.0", true),
            ("172.15.255.255", true),
            ("172.32.0.0", true),
            ("192.0.1.1", true),
            ("198.17.255.255", true),
            ("198.20.0.0", true),
            ("223.255.255.254", true),
            // IPv6 special-purpose registry.
            ("::", false),
            ("::1", false),
            ("::ffff:127.0.0.1", false),
            ("::ffff:10.1.2.3", false),
            ("::ffff:0:10.1.2.3", false), // IPv4-translated
            ("::ffff:0:8.8.8.8", false),
            ("::10.1.2.3", false), // IPv4-compatible
            ("64:ff9b::10.0.0.1", false),
            ("64:ff9b::169.254.169.254", false),
            ("64:ff9b:1::8.8.8.8", false), // local-use NAT64
            ("64:ff9b:1:ffff::1", false),
            ("100::1", false), // discard-only
            ("100:0:0:1::1", false),
            ("2001::1", false),    // Teredo
            ("2001:2::1", false),  // benchmarking
            ("2001:20::1", false), // ORCHIDv2
            ("2001:1ff:ffff::1", false),
            ("2001:db8::1", false),
            ("2002:a00:1::1", false),     // 6to4 of 10.0.0.1
            ("2002:7f00:1::1", false),    // 6to4 of 127.0.0.1
            ("2002:a9fe:a9fe::1", false), // 6to4 of 169.254.169.254
            ("2620:4f:8000::1", false),
            ("3fff::1", false),
            ("5f00::1", false), // SRv6 SIDs
            ("fc00::1", false),
            ("fd12:3456::1", false),
            ("fe80::1", false),
            ("fec0::1", false),
            ("ff02::1", false),
            ("4000::1", false), // unassigned
            // Public IPv6 and public IPv4 behind NAT64 or 6to4.
            ("2606:4700::1111", true),
            ("2a00:1450:4009::200e", true),
            ("2001:200::1", true),
            ("::ffff:8.8.8.8", true),
            ("64:ff9b::8.8.8.8", true),
            ("2002:808:808::1", true),
        ];
        for (text, public) in table {
            let ip: IpAddr = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(is_public_ip(ip), *public, "{text}");
        }
    }
}
