//! infer's matchers in infer's own order (its `MATCHER_MAP`, version 0.22),
//! so that one of them can be faster. infer's PDF test compares each 4-byte
//! window of the first KiB with `%PDF`: about 5,000 instructions on every
//! object no earlier test names, a seventh of what a small binary object
//! costs in all. A vectorised search answers the same question. Everything
//! else is infer's own code; the tests hold this table to `infer::get`, so
//! an upgrade that adds or reorders types is caught.

use infer::MatcherType as M;

/// The first type whose test accepts `buf`, exactly as `infer::get` returns it.
pub(crate) fn get(buf: &[u8]) -> Option<Kind> {
    TABLE.iter().find(|(_, _, _, matches)| matches(buf)).map(
        |&(matcher_type, mime, extension, _)| Kind {
            matcher_type,
            mime,
            extension,
        },
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Kind {
    pub matcher_type: M,
    pub mime: &'static str,
    pub extension: &'static str,
}

/// infer's `is_pdf`: `%PDF` within the first 1,024 bytes.
fn pdf_head(buf: &[u8]) -> bool {
    crate::sniff::bytes::find_from_first(&buf[..buf.len().min(1024)], b"%PDF").is_some()
}

/// lrzip: `LRZI`, major version 0 and a minor version (not opened: its
/// long-range and ZPAQ stages have no decoder here, so it is a limit).
fn lrzip_head(buf: &[u8]) -> bool {
    buf.starts_with(b"LRZI") && buf.get(4) == Some(&0) && buf.get(5).is_some_and(|&m| m <= 20)
}

/// infer's `is_html`, which compares 17 tags without regard to case after
/// any leading white space (its own set of it): each tag starts with `<`,
/// so a head whose first other byte is not one is none of them.
fn html_head(buf: &[u8]) -> bool {
    let first = buf
        .iter()
        .find(|c| !matches!(c, 0x09 | 0x0a | 0x0c | 0x0d | 0x20));
    first == Some(&b'<') && infer::text::is_html(buf)
}

type Entry = (M, &'static str, &'static str, fn(&[u8]) -> bool);

#[rustfmt::skip]
const TABLE: &[Entry] = &[
    (M::App, "application/wasm", "wasm", infer::app::is_wasm),
    (M::App, "application/x-executable", "elf", infer::app::is_elf),
    (M::App, "application/vnd.microsoft.portable-executable", "exe", infer::app::is_exe),
    (M::App, "application/vnd.microsoft.portable-executable", "dll", infer::app::is_dll),
    (M::App, "application/java", "class", infer::app::is_java),
    (M::App, "application/x-llvm", "bc", infer::app::is_llvm),
    (M::App, "application/x-mach-binary", "mach", infer::app::is_mach),
    (M::App, "application/vnd.android.dex", "dex", infer::app::is_dex),
    (M::App, "application/vnd.android.dey", "dey", infer::app::is_dey),
    (M::App, "application/x-x509-ca-cert", "der", infer::app::is_der),
    (M::App, "application/x-executable", "obj", infer::app::is_coff),
    (M::App, "application/x-x509-ca-cert", "pem", infer::app::is_pem),
    (M::App, "application/x-qemu-disk", "qcow2", infer::app::is_qcow2),
    (M::Book, "application/epub+zip", "epub", infer::book::is_epub),
    (M::Book, "application/x-mobipocket-ebook", "mobi", infer::book::is_mobi),
    (M::Image, "image/jpeg", "jpg", infer::image::is_jpeg),
    (M::Image, "image/jp2", "jp2", infer::image::is_jpeg2000),
    (M::Image, "image/png", "png", infer::image::is_png),
    (M::Image, "image/gif", "gif", infer::image::is_gif),
    (M::Image, "image/webp", "webp", infer::image::is_webp),
    (M::Image, "image/x-canon-cr2", "cr2", infer::image::is_cr2),
    (M::Image, "image/tiff", "tif", infer::image::is_tiff),
    (M::Image, "image/bmp", "bmp", infer::image::is_bmp),
    (M::Image, "image/vnd.ms-photo", "jxr", infer::image::is_jxr),
    (M::Image, "image/vnd.adobe.photoshop", "psd", infer::image::is_psd),
    (M::Image, "image/vnd.microsoft.icon", "ico", infer::image::is_ico),
    (M::Image, "image/heif", "heif", infer::image::is_heif),
    (M::Image, "image/avif", "avif", infer::image::is_avif),
    (M::Image, "image/jxl", "jxl", infer::image::is_jxl),
    (M::Image, "image/openraster", "ora", infer::image::is_ora),
    (M::Image, "image/vnd.djvu", "djvu", infer::image::is_djvu),
    (M::Image, "image/vnd.dwg", "dwg", infer::image::is_dwg),
    (M::Video, "video/mp4", "mp4", infer::video::is_mp4),
    (M::Video, "video/x-m4v", "m4v", infer::video::is_m4v),
    (M::Video, "video/x-matroska", "mkv", infer::video::is_mkv),
    (M::Video, "video/webm", "webm", infer::video::is_webm),
    (M::Video, "video/quicktime", "mov", infer::video::is_mov),
    (M::Video, "video/x-msvideo", "avi", infer::video::is_avi),
    (M::Video, "video/x-ms-wmv", "wmv", infer::video::is_wmv),
    (M::Video, "video/mpeg", "mpg", infer::video::is_mpeg),
    (M::Video, "video/x-flv", "flv", infer::video::is_flv),
    (M::Audio, "audio/midi", "midi", infer::audio::is_midi),
    (M::Audio, "audio/mpeg", "mp3", infer::audio::is_mp3),
    (M::Audio, "audio/m4a", "m4a", infer::audio::is_m4a),
    (M::Audio, "audio/opus", "opus", infer::audio::is_ogg_opus),
    (M::Audio, "audio/ogg", "ogg", infer::audio::is_ogg),
    (M::Audio, "audio/x-flac", "flac", infer::audio::is_flac),
    (M::Audio, "audio/x-wav", "wav", infer::audio::is_wav),
    (M::Audio, "audio/amr", "amr", infer::audio::is_amr),
    (M::Audio, "audio/aac", "aac", infer::audio::is_aac),
    (M::Audio, "audio/x-aiff", "aiff", infer::audio::is_aiff),
    (M::Audio, "audio/x-dsf", "dsf", infer::audio::is_dsf),
    (M::Audio, "audio/x-ape", "ape", infer::audio::is_ape),
    (M::Font, "application/font-woff", "woff", infer::font::is_woff),
    (M::Font, "application/font-woff", "woff2", infer::font::is_woff2),
    (M::Font, "application/font-sfnt", "ttf", infer::font::is_ttf),
    (M::Font, "application/font-sfnt", "otf", infer::font::is_otf),
    (M::Doc, "application/msword", "doc", infer::doc::is_doc),
    (M::Doc, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", infer::doc::is_docx),
    (M::Doc, "application/vnd.ms-excel", "xls", infer::doc::is_xls),
    (M::Doc, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", infer::doc::is_xlsx),
    (M::Doc, "application/vnd.ms-powerpoint", "ppt", infer::doc::is_ppt),
    (M::Doc, "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx", infer::doc::is_pptx),
    (M::Doc, "application/vnd.oasis.opendocument.text", "odt", infer::odf::is_odt),
    (M::Doc, "application/vnd.oasis.opendocument.spreadsheet", "ods", infer::odf::is_ods),
    (M::Doc, "application/vnd.oasis.opendocument.presentation", "odp", infer::odf::is_odp),
    (M::Archive, "application/epub+zip", "epub", infer::archive::is_epub),
    (M::Archive, "application/zip", "zip", infer::archive::is_zip),
    (M::Archive, "application/x-tar", "tar", infer::archive::is_tar),
    (M::Archive, "application/x-par2", "par2", infer::archive::is_par2),
    (M::Archive, "application/vnd.rar", "rar", infer::archive::is_rar),
    (M::Archive, "application/gzip", "gz", infer::archive::is_gz),
    (M::Archive, "application/x-bzip2", "bz2", infer::archive::is_bz2),
    (M::Archive, "application/vnd.bzip3", "bz3", infer::archive::is_bz3),
    (M::Archive, "application/x-7z-compressed", "7z", infer::archive::is_7z),
    (M::Archive, "application/x-xz", "xz", infer::archive::is_xz),
    (M::Archive, "application/pdf", "pdf", pdf_head),
    (M::Archive, "application/x-shockwave-flash", "swf", infer::archive::is_swf),
    (M::Archive, "application/rtf", "rtf", infer::archive::is_rtf),
    (M::Archive, "application/octet-stream", "eot", infer::archive::is_eot),
    (M::Archive, "application/postscript", "ps", infer::archive::is_ps),
    (M::Archive, "application/vnd.sqlite3", "sqlite", infer::archive::is_sqlite),
    (M::Archive, "application/x-nintendo-nes-rom", "nes", infer::archive::is_nes),
    (M::Archive, "application/x-google-chrome-extension", "crx", infer::archive::is_crx),
    (M::Archive, "application/vnd.ms-cab-compressed", "cab", infer::archive::is_cab),
    (M::Archive, "application/vnd.debian.binary-package", "deb", infer::archive::is_deb),
    (M::Archive, "application/x-unix-archive", "ar", infer::archive::is_ar),
    (M::Archive, "application/x-compress", "Z", infer::archive::is_z),
    (M::Archive, "application/x-lzip", "lz", infer::archive::is_lz),
    (M::Archive, "application/x-lrzip", "lrz", lrzip_head),
    (M::Archive, "application/x-rpm", "rpm", infer::archive::is_rpm),
    (M::Archive, "application/dicom", "dcm", infer::archive::is_dcm),
    (M::Archive, "application/zstd", "zst", infer::archive::is_zst),
    (M::Archive, "application/x-lz4", "lz4", infer::archive::is_lz4),
    (M::Archive, "application/x-ole-storage", "msi", infer::archive::is_msi),
    (M::Archive, "application/x-cpio", "cpio", infer::archive::is_cpio),
    (M::Text, "text/html", "html", html_head),
    (M::Text, "text/xml", "xml", infer::text::is_xml),
    (M::Text, "text/x-shellscript", "sh", infer::text::is_shellscript),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sniff::testutil::pseudo_random;

    fn infer_kind(buf: &[u8]) -> Option<Kind> {
        infer::get(buf).map(|t| Kind {
            matcher_type: t.matcher_type(),
            mime: t.mime_type(),
            extension: t.extension(),
        })
    }

    fn assert_same(buf: &[u8], what: &str) {
        assert_eq!(get(buf), infer_kind(buf), "{what}");
    }

    #[test]
    fn lrzip_needs_its_version_after_the_magic() {
        assert_eq!(
            get(b"LRZI\x00\x06\x00\x10").map(|k| k.extension),
            Some("lrz")
        );
        assert_eq!(get(b"LRZI\x01\x06\x00\x10").map(|k| k.extension), None);
        assert_eq!(get(b"LRZI").map(|k| k.extension), None);
    }

    #[test]
    fn the_table_answers_as_infer_on_every_bundled_file() {
        let roots = [
            concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures"),
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data"),
        ];
        let mut named = 0;
        for entry in roots.iter().flat_map(walkdir::WalkDir::new) {
            let entry = entry.unwrap();
            if !entry.file_type().is_file() {
                continue;
            }
            let data = std::fs::read(entry.path()).unwrap();
            // Whole, and cut where infer's tests read: its table is
            // first-match, so a shorter head may fall through to a later type.
            for cut in [data.len(), 4096, 1024, 300, 64, 16, 8, 3] {
                let head = &data[..cut.min(data.len())];
                assert_same(head, &format!("{} cut at {cut}", entry.path().display()));
            }
            named += usize::from(infer::get(&data).is_some());
        }
        assert!(named > 20, "only {named} bundled files named by infer");
    }

    #[test]
    fn the_table_answers_as_infer_on_crafted_heads() {
        // Random heads, and the PDF marker on both sides of the KiB edge.
        for seed in 0..2000 {
            let mut data = pseudo_random(1500, seed);
            assert_same(&data, &format!("random seed {seed}"));
            let at = (seed as usize * 7) % 1100;
            data[at..at + 4].copy_from_slice(b"%PDF");
            assert_same(&data, &format!("%PDF at {at}"));
            assert_same(&data[..at + 3], &format!("%PDF cut at {at}"));
        }
        // HTML tags in any case, after each kind of white space, whole,
        // cut, and followed by each byte that may or may not end a tag.
        let tags = [
            "<!DOCTYPE html",
            "<html",
            "<HeAd",
            "<a",
            "<b",
            "<br",
            "<p",
            "<!--",
            "<x",
        ];
        for (i, tag) in tags.iter().enumerate() {
            for space in ["", " ", "\t\n", "\x0c\r ", "\x0b"] {
                for end in [b' ', b'>', b'\n', b'a', 0] {
                    let mut head = format!("{space}{tag}").into_bytes();
                    head.push(end);
                    head.extend(pseudo_random(64, i as u64));
                    assert_same(&head, &format!("{space:?}{tag} then {end}"));
                    assert_same(&head[..space.len() + tag.len()], &format!("{tag} cut"));
                }
            }
        }
    }
}
