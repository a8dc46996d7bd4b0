//! Byte offsets to 1-based line and character column, as editors and rustc/ruff report them.

/// Start offsets of every line of a source text.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<u32>,
}

impl LineIndex {
    pub fn new(source: &str) -> Self {
        let mut starts = Vec::with_capacity(source.len() / 32 + 1);
        starts.push(0);
        let bytes = source.as_bytes();
        for pos in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            // "\r\n" is one line break; a lone "\r" is one too (Python's universal newlines).
            if bytes[pos] == b'\r' && bytes.get(pos + 1) == Some(&b'\n') {
                continue;
            }
            starts.push(pos as u32 + 1);
        }
        LineIndex { starts }
    }

    /// 1-based line and 1-based character column of a byte offset.
    pub fn line_column(&self, source: &str, offset: u32) -> (u32, u32) {
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line] as usize;
        let end = (offset as usize).min(source.len());
        let column = source
            .get(start..end)
            .map_or(end - start, |prefix| prefix.chars().count());
        (line as u32 + 1, column as u32 + 1)
    }

    /// 1-based line of a byte offset.
    pub fn line(&self, offset: u32) -> u32 {
        self.starts.partition_point(|&s| s <= offset) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_count_characters_and_all_line_breaks() {
        let src = "a\r\nbé c\rd\n";
        let index = LineIndex::new(src);
        assert_eq!(index.line_column(src, 0), (1, 1));
        assert_eq!(index.line_column(src, 3), (2, 1));
        // 'c' sits after the two-byte 'é' and a space: character column 4.
        assert_eq!(index.line_column(src, 7), (2, 4));
        assert_eq!(index.line_column(src, 9), (3, 1));
        assert_eq!(index.line(9), 3);
    }
}
