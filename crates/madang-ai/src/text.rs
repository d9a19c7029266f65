//! Bytes of tokens into text: a token may end in the middle of a UTF-8
//! character (Hangul and emoji often do), so pieces are held back until
//! they complete one.

/// Collects the bytes of tokens and hands out the complete characters.
#[derive(Default)]
pub struct Utf8Pieces {
    pending: Vec<u8>,
}

impl Utf8Pieces {
    /// Adds bytes; returns the text they complete (possibly empty).
    pub fn push(&mut self, bytes: &[u8]) -> String {
        self.pending.extend_from_slice(bytes);
        let valid = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            // A sequence cut short at the end waits for its rest; bytes that
            // can never be UTF-8 are replaced rather than held forever.
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => {
                let text = String::from_utf8_lossy(&self.pending).into_owned();
                self.pending.clear();
                return text;
            }
        };
        let rest = self.pending.split_off(valid);
        let done = std::mem::replace(&mut self.pending, rest);
        String::from_utf8(done).unwrap_or_default()
    }

    /// Whatever is left when generation ends, lossily.
    pub fn finish(&mut self) -> String {
        let text = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_character_split_across_tokens_comes_out_whole() {
        let bytes = "마당🙂".as_bytes();
        let mut p = Utf8Pieces::default();
        let mut out = String::new();
        for b in bytes {
            out.push_str(&p.push(std::slice::from_ref(b)));
        }
        out.push_str(&p.finish());
        assert_eq!(out, "마당🙂");
    }

    #[test]
    fn invalid_bytes_do_not_stall_the_stream() {
        let mut p = Utf8Pieces::default();
        assert_eq!(p.push(&[0xff, b'a']), "\u{fffd}a");
        assert_eq!(p.push(b"b"), "b");
    }
}
