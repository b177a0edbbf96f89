//! Content fingerprints: a SHA-256 of a table's names and cells, so a run records exactly which
//! data it saw and two files with the same content (whatever their name or line endings) match.

use crate::table::Table;
use sha2::{Digest, Sha256};

/// The fingerprint of the whole table, as `sha256:<64 hex digits>`.
pub fn fingerprint(table: &Table) -> String {
    let rows: Vec<usize> = (0..table.n_rows).collect();
    fingerprint_rows(table, &rows)
}

/// The fingerprint of some rows of a table (a split), in the order given.
///
/// The encoding is unambiguous: every name and cell is length-prefixed, and a missing cell differs
/// from an empty string. Inferred column kinds are not part of it: the same data is the same data.
pub fn fingerprint_rows(table: &Table, rows: &[usize]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"tabml-table-v1");
    hasher.update((table.columns.len() as u64).to_le_bytes());
    hasher.update((rows.len() as u64).to_le_bytes());
    for column in &table.columns {
        put_text(&mut hasher, &column.name);
    }
    for &row in rows {
        for column in &table.columns {
            match column.cell(row) {
                None => hasher.update([0u8]),
                Some(text) => {
                    hasher.update([1u8]);
                    put_text(&mut hasher, text);
                }
            }
        }
    }
    let digest = hasher.finalize();
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

fn put_text(hasher: &mut Sha256, text: &str) {
    hasher.update((text.len() as u64).to_le_bytes());
    hasher.update(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_csv;

    #[test]
    fn same_content_same_fingerprint_whatever_the_file_layout() {
        let a = parse_csv(b"x,y\n1,a\n2,\n").unwrap();
        let b = parse_csv(b"\xEF\xBB\xBFx;y\r\n1;a\r\n2;NA\r\n").unwrap();
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert!(fingerprint(&a).starts_with("sha256:") && fingerprint(&a).len() == 71);
    }

    #[test]
    fn any_change_changes_it() {
        let base = fingerprint(&parse_csv(b"x,y\n1,a\n2,b\n").unwrap());
        for other in [&b"x,y\n1,a\n2,c\n"[..], b"x,z\n1,a\n2,b\n", b"x,y\n2,b\n1,a\n", b"x,y\n1,a\n"] {
            assert_ne!(fingerprint(&parse_csv(other).unwrap()), base, "{}", String::from_utf8_lossy(other));
        }
        // Shifting text between cells must not collide.
        let ab = parse_csv(b"p,q\nab,c\nx,y\n").unwrap();
        let a_bc = parse_csv(b"p,q\na,bc\nx,y\n").unwrap();
        assert_ne!(fingerprint(&ab), fingerprint(&a_bc));
    }

    #[test]
    fn split_fingerprints_depend_on_the_rows() {
        let table = parse_csv(b"x\n1\n2\n3\n").unwrap();
        assert_ne!(fingerprint_rows(&table, &[0, 1]), fingerprint_rows(&table, &[1, 2]));
        assert_eq!(fingerprint_rows(&table, &[0, 1, 2]), fingerprint(&table));
    }
}
