//! A line diff for asserting that an edit touched only the lines it should.

/// Lines of `old` that are gone (1-based line numbers) and lines of `new` that are new (text),
/// by longest common subsequence. Lines keep their line breaks, so a changed ending shows.
pub(crate) fn line_diff(old: &[u8], new: &[u8]) -> (Vec<usize>, Vec<String>) {
    let split = |b: &[u8]| -> Vec<String> {
        b.split_inclusive(|&c| c == b'\n')
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect()
    };
    let (a, b) = (split(old), split(new));
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            added.push(b[j].clone());
            j += 1;
        } else {
            removed.push(i + 1);
            i += 1;
        }
    }
    (removed, added)
}
