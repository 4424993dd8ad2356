//! KenLM through `kenlm-rs`, the tests' oracle: a model loaded quietly and the
//! words of its states.

use std::path::Path;

/// Loads an ARPA file into KenLM's probing model, quietly.
pub fn kenlm_model(path: &Path) -> kenlm::Model {
    // KenLM sizes its hash tables from the header counts; tiny models with pruned
    // suffixes add blanks beyond them, so leave plenty of room.
    let cfg = kenlm::Config {
        probing_multiplier: 10.0,
        show_progress: false,
        arpa_complain: kenlm::ArpaLoadComplain::None,
        ..kenlm::Config::default()
    };
    kenlm::Model::with_config(path, cfg)
        .unwrap_or_else(|e| panic!("KenLM refuses {}: {e}", path.display()))
}

/// The context words of a KenLM state, newest first.
///
/// `kenlm-rs` keeps the state opaque; its `Debug` shows the bytes of KenLM's
/// `State` (built with KENLM_MAX_ORDER = 6): `WordIndex words[5]; float
/// backoff[5]; unsigned char length;` padded to 44 bytes.
pub fn kenlm_state_words(state: &kenlm::State) -> Vec<u32> {
    let debug = format!("{state:?}");
    let start = debug
        .find("bytes: [")
        .expect("kenlm::State's Debug shows its bytes")
        + 8;
    let end = start + debug[start..].find(']').unwrap();
    let bytes: Vec<u8> = debug[start..end]
        .split(", ")
        .map(|b| b.trim().parse().unwrap())
        .collect();
    assert_eq!(bytes.len(), 44, "KenLM State layout for KENLM_MAX_ORDER=6");
    let len = bytes[40] as usize;
    assert!(len <= 5);
    (0..len)
        .map(|i| u32::from_ne_bytes(bytes[4 * i..4 * i + 4].try_into().unwrap()))
        .collect()
}
