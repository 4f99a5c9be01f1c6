//! Looking for bytes in text, many at a time: the hot paths ask whether a text holds any
//! byte of a kind (one to escape, a control character, white space to fold) far more
//! often than it does.

/// Whether any byte of `bytes` satisfies `pred`. Blocks of 32 bytes are tested with no
/// branch per byte, which the compiler turns into vector instructions (`memchr` finds
/// one byte value, not a set like `&<>"'`).
#[inline(always)]
pub fn any_byte(bytes: &[u8], pred: impl Fn(u8) -> bool) -> bool {
    let mut blocks = bytes.chunks_exact(32);
    for block in &mut blocks {
        let mut hits = 0u8;
        for &b in block {
            hits |= u8::from(pred(b));
        }
        if hits != 0 {
            return true;
        }
    }
    blocks.remainder().iter().any(|&b| pred(b))
}

/// Whether any byte of `bytes` satisfies `pred` together with the byte after it (0 after
/// the last), many bytes at a time as in [`any_byte`]: for two-byte patterns such as
/// UTF-8 sequences.
#[inline(always)]
pub fn any_pair(bytes: &[u8], pred: impl Fn(u8, u8) -> bool) -> bool {
    let Some((&last, _)) = bytes.split_last() else {
        return false;
    };
    let (firsts, seconds) = (&bytes[..bytes.len() - 1], &bytes[1..]);
    let mut blocks = firsts.chunks_exact(32).zip(seconds.chunks_exact(32));
    for (a, b) in &mut blocks {
        let mut hits = 0u8;
        for i in 0..32 {
            hits |= u8::from(pred(a[i], b[i]));
        }
        if hits != 0 {
            return true;
        }
    }
    let done = firsts.len() / 32 * 32;
    (done..firsts.len()).any(|i| pred(firsts[i], seconds[i])) || pred(last, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_byte_in_any_block_and_in_the_remainder() {
        let is_amp = |b: u8| b == b'&';
        for len in [0, 1, 31, 32, 33, 64, 100] {
            let clean = vec![b'a'; len];
            assert!(!any_byte(&clean, is_amp), "{len}");
            for at in 0..len {
                let mut text = clean.clone();
                text[at] = b'&';
                assert!(any_byte(&text, is_amp), "{len} {at}");
            }
        }
    }

    #[test]
    fn finds_a_pair_across_blocks_and_at_the_end() {
        let is_ab = |a: u8, b: u8| a == b'a' && b == b'b';
        let ends_a = |a: u8, b: u8| a == b'a' && b == 0;
        for len in [0, 1, 2, 31, 32, 33, 64, 65, 100] {
            let clean = vec![b'x'; len];
            assert!(!any_pair(&clean, is_ab), "{len}");
            for at in 0..len.saturating_sub(1) {
                let mut text = clean.clone();
                text[at] = b'a';
                text[at + 1] = b'b';
                assert!(any_pair(&text, is_ab), "{len} {at}");
                assert!(!any_pair(&text, ends_a), "{len} {at}");
            }
            if len > 0 {
                let mut text = clean.clone();
                text[len - 1] = b'a';
                assert!(any_pair(&text, ends_a), "{len}");
                assert!(!any_pair(&text, is_ab), "{len}");
            }
        }
    }
}
