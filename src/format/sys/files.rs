//! Opening a model file: refusing what cannot hold one, memory-mapping it,
//! or reading it whole into huge pages.

use std::fs::File;
use std::io;
use std::path::Path;

use memmap2::Mmap;

use super::huge::huge_zeroed;

/// Maps `path` read-only.
///
/// # Safety contract (for callers)
/// The mapping reflects the file: if another process truncates or rewrites the
/// file while it is mapped, reads may see changed bytes (wrong scores, never
/// out-of-bounds reads, since every index is checked) or fault with SIGBUS on
/// truncation. `build-lm` never rewrites a file in place (it renames a new file
/// over the old one), so models written by dashlm are safe to replace while open.
///
/// # Errors
/// I/O errors opening or mapping the file.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("model.dlm");
/// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../../data/tiny.arpa")[..], "tiny.arpa").unwrap();
/// # dashlm::build::write_model(&set, Default::default(), &path).unwrap();
/// let map = dashlm::format::map_file(&path).unwrap();
/// assert_eq!(map[..8], dashlm::format::MAGIC);
/// assert_eq!(map.len() as u64, std::fs::metadata(&path).unwrap().len());
/// ```
pub fn map_file(path: &Path) -> io::Result<Mmap> {
    let file = open_model_file(path, false)?;
    // SAFETY: `Mmap::map` is unsafe because the file may change while mapped.
    // Bytes changing under a live `&[u8]` break Rust's aliasing rules, a hazard
    // accepted here as by every user of memmap2, and stated in this function's
    // contract and `Model::open`'s docs: dashlm reads the bytes as untrusted
    // input, checking every offset and index derived from them (the section
    // bounds are copied out at open), so a change can give wrong scores but no
    // out-of-bounds access; a truncation faults with SIGBUS. `build-lm` and the
    // other writers replace files by rename, which leaves an open map intact.
    unsafe { Mmap::map(&file) }
}

/// Opens `path` to read a model from: a regular file (or a link to one) or,
/// with `stream`, a FIFO or pipe (`<(zcat lm.arpa.gz)`), which can be read
/// only once and in order (ARPA text; a compiled model is mapped or read
/// whole by its length, so it must be a regular file). What cannot hold a
/// model is refused by name before it is opened: a directory, a socket, a
/// device (`/dev/null` would read as an empty file), and a FIFO without
/// `stream` (opening one waits for a writer). Every command that reads a
/// model opens it here.
///
/// # Errors
/// I/O errors, and an [`io::ErrorKind::InvalidInput`] error saying what
/// `path` is (`is a directory, not a model file`).
///
/// ```
/// use dashlm::format::open_model_file;
/// let dir = tempfile::tempdir().unwrap();
/// let err = open_model_file(dir.path(), true).unwrap_err();
/// assert_eq!(err.to_string(), "is a directory, not a model file");
/// # #[cfg(unix)]
/// assert_eq!(
///     open_model_file("/dev/null".as_ref(), true).unwrap_err().to_string(),
///     "is a device, not a model file",
/// );
/// let path = dir.path().join("lm.arpa");
/// std::fs::write(&path, "\\data\\\n").unwrap();
/// assert!(open_model_file(&path, false).is_ok());
/// ```
pub fn open_model_file(path: &Path, stream: bool) -> io::Result<File> {
    let kind = std::fs::metadata(path)?.file_type();
    #[cfg(unix)]
    let (fifo, socket) = {
        use std::os::unix::fs::FileTypeExt;
        (kind.is_fifo(), kind.is_socket())
    };
    #[cfg(not(unix))]
    let (fifo, socket) = (false, false);
    let problem = if kind.is_file() || (fifo && stream) {
        return File::open(path);
    } else if kind.is_dir() {
        "is a directory, not a model file"
    } else if fifo {
        "is a FIFO or pipe: a compiled model must be a regular file (it is \
         memory-mapped or read whole)"
    } else if socket {
        "is a socket, not a model file"
    } else {
        "is a device, not a model file"
    };
    Err(io::Error::new(io::ErrorKind::InvalidInput, problem))
}

/// Reads `path` into anonymous memory advised to use transparent huge pages
/// (where the OS offers them), the way KenLM loads models into `HugeMalloc`ed
/// memory: slower to open than [`map_file`] (the whole file is read), but
/// random lookups then miss the TLB far less often.
///
/// # Errors
/// I/O errors reading the file or allocating the memory.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// # let path = dir.path().join("model.dlm");
/// # let set = dashlm::arpa::NGramSet::read(&include_bytes!("../../../data/tiny.arpa")[..], "tiny.arpa").unwrap();
/// # dashlm::build::write_model(&set, Default::default(), &path).unwrap();
/// let mem = dashlm::format::read_file_huge(&path).unwrap();
/// assert_eq!(mem[..], std::fs::read(&path).unwrap()[..]);
/// ```
pub fn read_file_huge(path: &Path) -> io::Result<Mmap> {
    use std::io::Read;
    let mut file = open_model_file(path, false)?;
    let len = usize::try_from(file.metadata()?.len()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "file larger than the address space",
        )
    })?;
    if len == 0 {
        // Anonymous memory has at least one byte: an empty file is mapped
        // instead, so that it reads as 0 bytes (`file is too short: 0 bytes`).
        // SAFETY: the map is read-only and holds no bytes: nothing can change
        // under it or fault (a file that grows later is not part of it).
        return unsafe { Mmap::map(&file) };
    }
    let mut mem = huge_zeroed(len)?;
    file.read_exact(&mut mem[..len])?;
    if file.read(&mut [0u8; 1])? != 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "file grew while being read",
        ));
    }
    let map = mem.make_read_only()?;
    Ok(map)
}
