//! Purpose: product URLs, canonical and safe.
//!
//! Two people watching `https://Shop.example/p/1?utm_source=x#reviews` and
//! `https://shop.example/p/1` watch one product, fetched once: the canonical
//! form drops tracking parameters and fragments, lower-cases the host and
//! sorts the query. [`refusal`] turns away URLs that point inside our own
//! network by their literal host (`localhost`, `10.0.0.1`, `[::1]`,
//! `169.254.169.254`); the fetcher checks resolved addresses again.

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

/// Whether an address is on the public internet: not loopback, private,
/// link-local (cloud metadata lives at 169.254.169.254), shared CGNAT,
/// unique-local, multicast, documentation, benchmarking or unspecified.
/// IPv4 addresses inside IPv6 (mapped, compatible, NAT64) are judged as IPv4.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    // ::a.b.c.d (deprecated IPv4-compatible) and 64:ff9b::/96 (NAT64).
    if segments[..6] == [0, 0, 0, 0, 0, 0] || segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [_, _, _, _, _, _, hi, lo] = segments;
        let v4 = Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
        return !ip.is_unspecified() && !ip.is_loopback() && is_public_v4(v4);
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (segments[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (segments[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (segments[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (segments[0] == 0x2001 && segments[1] == 0x0db8)) // documentation
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
}
