//! Purpose: keep a credential unreadable while it waits in the database.
//!
//! A reply holding a Stripe Checkout or portal link is a bearer credential
//! to someone's billing. The inbox must keep replies until they are sent
//! (that is what makes them survive a failed send), so such a reply is
//! kept sealed with AES-256-GCM under a key that lives only in this
//! process's memory, drawn from the OS at start and never written
//! anywhere. The process that made the link can open it to send it; after
//! a crash, or on another instance, it cannot, and the person gets the
//! reply's fallback text ("send upgrade again") instead of a stale link.

use base64::Engine;
use dealwatch_bots::Outgoing;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

/// Seals and opens with this process's key.
pub struct Sealer {
    key: Option<LessSafeKey>,
    random: SystemRandom,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer").finish_non_exhaustive()
    }
}

impl Default for Sealer {
    fn default() -> Sealer {
        Sealer::new()
    }
}

impl Sealer {
    /// A sealer with a fresh random key. Without the OS's randomness it
    /// seals nothing: every sealed copy then reads as unopenable, and the
    /// fallback is sent.
    pub fn new() -> Sealer {
        let random = SystemRandom::new();
        let mut bytes = [0u8; 32];
        let key = random
            .fill(&mut bytes)
            .ok()
            .and_then(|()| UnboundKey::new(&AES_256_GCM, &bytes).ok())
            .map(LessSafeKey::new);
        Sealer { key, random }
    }

    /// A sealer with a key several instances share (`DEALWATCH_SEAL_KEY`:
    /// 32 bytes, base64), so a reply one instance stored can be sent by
    /// another. `None` when the key is not 32 bytes of base64.
    pub fn with_key(encoded: &str) -> Option<Sealer> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()
            .filter(|b| b.len() == 32)?;
        let key = UnboundKey::new(&AES_256_GCM, &bytes)
            .ok()
            .map(LessSafeKey::new)?;
        Some(Sealer {
            key: Some(key),
            random: SystemRandom::new(),
        })
    }

    /// `plain`, sealed: base64 of nonce and ciphertext. `None` if it cannot
    /// be sealed (then nothing of it may be kept).
    pub fn seal(&self, plain: &[u8]) -> Option<String> {
        let key = self.key.as_ref()?;
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce).ok()?;
        let mut sealed = plain.to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::empty(),
            &mut sealed,
        )
        .ok()?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Some(base64::engine::general_purpose::STANDARD.encode(out))
    }

    /// What [`Sealer::seal`] sealed, if this key sealed it.
    pub fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        let key = self.key.as_ref()?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, rest) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut rest = rest.to_vec();
        let plain = key.open_in_place(nonce, Aad::empty(), &mut rest).ok()?;
        Some(plain.to_vec())
    }
}

static PROCESS: std::sync::OnceLock<Sealer> = std::sync::OnceLock::new();

/// This process's sealer: one key for the inbox and the dispatcher; the
/// shared key when [`use_shared_key`] set one before first use, else a
/// fresh random key.
pub fn process() -> &'static Sealer {
    PROCESS.get_or_init(Sealer::new)
}

/// Seal with a key several instances share, from start-up. `false` when a
/// key was already in use (it cannot change while replies wait).
pub fn use_shared_key(sealer: Sealer) -> bool {
    PROCESS.set(sealer).is_ok()
}

/// Messages as kept in the database: each that holds a credential replaced
/// by its fallback text, and kept sealed beside, by position.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Kept {
    pub messages: Vec<Outgoing>,
    /// (position, sealed message). A list, not a map: untagged enums and
    /// internally tagged ones cannot read numeric map keys.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sealed: Vec<(usize, String)>,
}

impl Sealer {
    /// `messages` fit to keep: nothing confidential in the clear.
    pub fn keep(&self, messages: &[Outgoing]) -> Kept {
        let mut kept = Kept::default();
        for (i, message) in messages.iter().enumerate() {
            match &message.confidential {
                Some(fallback) => {
                    let sealed = serde_json::to_vec(message)
                        .ok()
                        .and_then(|plain| self.seal(&plain));
                    if let Some(sealed) = sealed {
                        kept.sealed.push((i, sealed));
                    }
                    kept.messages.push(Outgoing::text(fallback.clone()));
                }
                None => kept.messages.push(message.clone()),
            }
        }
        kept
    }

    /// The messages as they were kept, the sealed ones opened where this
    /// process sealed them (elsewhere their fallback stays).
    pub fn restore(&self, kept: Kept) -> Vec<Outgoing> {
        let Kept {
            mut messages,
            sealed,
        } = kept;
        for (i, sealed) in &sealed {
            let opened = self
                .open(sealed)
                .and_then(|plain| serde_json::from_slice::<Outgoing>(&plain).ok());
            if let (Some(message), Some(slot)) = (opened, messages.get_mut(*i)) {
                *slot = message;
            }
        }
        messages
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_process_key_opens_what_it_sealed() {
        let sealer = Sealer::new();
        let secret = b"https://checkout.stripe.com/c/pay/cs_live_secret";
        let sealed = sealer.seal(secret).unwrap();
        assert!(!sealed.contains("stripe"));
        assert_eq!(sealer.open(&sealed).unwrap(), secret);
        assert_ne!(
            sealer.seal(secret).unwrap(),
            sealed,
            "a fresh nonce each time"
        );
        // Another process (another key), a tampered or garbled copy: nothing.
        assert!(Sealer::new().open(&sealed).is_none());
        let mut tampered = sealed.into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(sealer.open(&String::from_utf8(tampered).unwrap()).is_none());
        assert!(sealer.open("not base64 !").is_none());
        assert!(sealer.open("").is_none());
    }

    #[test]
    fn instances_sharing_a_key_open_each_others_copies() {
        let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        let one = Sealer::with_key(&key).unwrap();
        let other = Sealer::with_key(&key).unwrap();
        let sealed = one.seal(b"link").unwrap();
        assert_eq!(other.open(&sealed).unwrap(), b"link");
        assert!(Sealer::with_key("c2hvcnQ=").is_none(), "too short");
        assert!(Sealer::with_key("not base64!").is_none());
    }
}
