//! The core promises the same bits on every platform, so its transcendental functions come from
//! `libm` through `crate::math`, never from the platform's `f64` methods: this test fails on any
//! call of one of those in shared/src (comments aside).

const PLATFORM_CALLS: [&str; 17] = [
    ".asin(", ".acos(", ".atan(", ".atan2(", ".sin(", ".cos(", ".tan(", ".tanh(", ".powf(", ".powi(", ".ln(",
    ".exp(", ".log10(", ".log2(", ".cbrt(", ".exp_m1(", ".ln_1p(",
];

fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_core_calls_no_platform_transcendental() {
    let mut files = Vec::new();
    rust_files(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for call in PLATFORM_CALLS.iter().filter(|c| code.contains(*c)) {
                found.push(format!("{}:{}: {call}", file.display(), i + 1));
            }
        }
    }
    assert!(found.is_empty(), "use crate::math instead of:\n{}", found.join("\n"));
}
