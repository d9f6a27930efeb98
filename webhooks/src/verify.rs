//! Purpose: signature and secret checks shared by the webhook routes.

use subtle::ConstantTimeEq;

/// Why a webhook request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the request carries no credential")]
    Missing,
    #[error("the credential does not match")]
    Mismatch,
}

/// Compare two secrets in time independent of where they differ. (Their
/// lengths may leak; secrets here are fixed-length or random enough that
/// the length tells an attacker nothing useful.)
pub fn secrets_equal(presented: &[u8], expected: &[u8]) -> bool {
    presented.ct_eq(expected).into()
}

/// Check a shared-secret header such as Telegram's
/// `X-Telegram-Bot-Api-Secret-Token` against the configured value.
pub fn check_shared_secret(presented: Option<&[u8]>, expected: &[u8]) -> Result<(), VerifyError> {
    let presented = presented.ok_or(VerifyError::Missing)?;
    if expected.is_empty() || !secrets_equal(presented, expected) {
        return Err(VerifyError::Mismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_secret_passes() {
        assert_eq!(
            check_shared_secret(Some(b"s3cret_token"), b"s3cret_token"),
            Ok(())
        );
        assert_eq!(
            check_shared_secret(Some(b"s3cret_tokeN"), b"s3cret_token"),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            check_shared_secret(Some(b"s3cret"), b"s3cret_token"),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            check_shared_secret(Some(b""), b"s3cret_token"),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            check_shared_secret(None, b"s3cret_token"),
            Err(VerifyError::Missing)
        );
    }

    #[test]
    fn an_unset_secret_never_matches() {
        assert_eq!(
            check_shared_secret(Some(b""), b""),
            Err(VerifyError::Mismatch)
        );
    }
}
