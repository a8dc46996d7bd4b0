//! A tiny reader of fuzzer bytes as structured choices: every draw succeeds (an exhausted
//! input reads as zeros), so any byte string is a valid input and libFuzzer's mutations map
//! to small changes of the structure.

pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    pub fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    pub fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | (u64::from(self.u32()) << 32)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        let span = hi - lo + 1;
        let raw = if span <= 256 {
            u64::from(self.byte())
        } else {
            self.u64()
        };
        lo + raw % span
    }

    pub fn bool(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    /// True about once in `n` draws.
    pub fn one_in(&mut self, n: u8) -> bool {
        self.byte() % n == 0
    }

    pub fn choose<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[self.range(0, items.len() as u64 - 1) as usize]
    }

    /// Up to `max` bytes, as text (invalid UTF-8 replaced).
    pub fn text(&mut self, max: usize) -> String {
        let len = (self.byte() as usize).min(max).min(self.data.len());
        let (head, rest) = self.data.split_at(len);
        self.data = rest;
        String::from_utf8_lossy(head).into_owned()
    }

    /// Everything not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }
}
