//! Every format id atrest's own detectors report, so a rules file that names
//! a format that does not exist (`"wave"` for `wav`) is an error rather than
//! a rule that never matches. File types named through `infer` (images,
//! documents, fonts, executables …) are known through `infer` itself.
//! docs/formats.md describes each.

use super::Class;

/// Sorted (a test checks), for binary search.
pub const FORMATS: &[&str] = &[
    "3gp",
    "7z",
    "8svx",
    "aac",
    "ac3",
    "aescrypt",
    "age",
    "age-armor",
    "aifc",
    "aiff",
    "amr-nb",
    "amr-wb",
    "ansi-nist-itl",
    "ansible-vault",
    "ape",
    "apfs",
    "ar",
    "arrow",
    "arrow-stream",
    "au",
    "avi",
    "avro",
    "aws-encryption-sdk",
    "bdf",
    "binary",
    "bitlocker",
    "blosc",
    "bw64",
    "bzip2",
    "caf",
    "cbeff",
    "cms-authenveloped",
    "cms-encrypted",
    "cms-enveloped",
    "codec2",
    "cpio",
    "dff",
    "doc",
    "dsf",
    "eac3",
    "edf",
    "empty",
    "evs",
    "exfat",
    "ext",
    "fat",
    "fits",
    "flac",
    "flv",
    "g722",
    "gimp-brush",
    "gimp-pattern",
    "git-crypt",
    "git-crypt-key",
    "git-pack",
    "gpt-disk",
    "gsm",
    "gus-patch",
    "gzip",
    "hdf5",
    "hfsplus",
    "iso19794-10",
    "iso19794-2",
    "iso19794-4",
    "iso19794-5",
    "iso19794-6",
    "iso19794-7",
    "iso19794-8",
    "iso19794-9",
    "iso39794-4",
    "iso39794-5",
    "iso39794-6",
    "iso9660",
    "jimage",
    "jwe",
    "k8s-aescbc",
    "k8s-enc",
    "kaldi-ark",
    "lrz",
    "luks1",
    "luks2",
    "lz4",
    "lz4-legacy",
    "lzma",
    "m4a",
    "mka",
    "mkv",
    "mov",
    "mp2",
    "mp3",
    "mp4",
    "mpeg-ps",
    "mpeg-ts",
    "ms-offcrypto",
    "musepack",
    "nifti",
    "npy",
    "npz",
    "nsp",
    "ntfs",
    "ogg",
    "ogv",
    "ole2",
    "oma",
    "onnx",
    "openpgp",
    "openpgp-armor",
    "openpgp-armor-signed",
    "openpgp-signed",
    "openssl-enc",
    "openssl-enc-base64",
    "optimfrog",
    "parquet",
    "pcf",
    "pdf",
    "pfm",
    "pgp-cleartext-signed",
    "pickle",
    "pkcs12",
    "pnm",
    "pyc",
    "pytorch",
    "qcow2",
    "qcp",
    "random-like",
    "rar",
    "raw-pcm",
    "realaudio",
    "realmedia",
    "rf64",
    "rtp",
    "safetensors",
    "sgi",
    "shorten",
    "silk",
    "smaf",
    "sops",
    "soundfont",
    "sphere",
    "squashfs",
    "srtp",
    "tak",
    "tar",
    "text",
    "tfrecord",
    "tga",
    "tracker-module",
    "tta",
    "udf",
    "unknown",
    "vault-transit",
    "vdi",
    "vhd",
    "vhdx",
    "vmdk",
    "voc",
    "w64",
    "wav",
    "waveform",
    "wavpack",
    "webm",
    "wma",
    "wmf",
    "wmv",
    "wsq",
    "xfs",
    "xls",
    "xz",
    "yenc",
    "zip",
    "zlib",
    "zstd",
];

/// What a file name's extension says a member holds, as (format, class):
/// for members whose bytes cannot be read (encrypted archive members keep
/// their names in the clear). Only audio and biometric extensions count.
pub fn of_extension(name: &str) -> Option<(&'static str, Class)> {
    const BY_EXTENSION: &[(&str, &str, Class)] = &[
        ("3gp", "3gp", Class::Audio),
        ("aac", "aac", Class::Audio),
        ("aif", "aiff", Class::Audio),
        ("aifc", "aifc", Class::Audio),
        ("aiff", "aiff", Class::Audio),
        ("amr", "amr-nb", Class::Audio),
        ("an2", "ansi-nist-itl", Class::Biometric),
        ("ape", "ape", Class::Audio),
        ("au", "au", Class::Audio),
        ("awb", "amr-wb", Class::Audio),
        ("c2", "codec2", Class::Audio),
        ("caf", "caf", Class::Audio),
        ("ebts", "ansi-nist-itl", Class::Biometric),
        ("eft", "ansi-nist-itl", Class::Biometric),
        ("fac", "iso19794-5", Class::Biometric),
        ("fir", "iso19794-4", Class::Biometric),
        ("flac", "flac", Class::Audio),
        ("fmr", "iso19794-2", Class::Biometric),
        ("g722", "g722", Class::Audio),
        ("iir", "iso19794-6", Class::Biometric),
        ("m4a", "m4a", Class::Audio),
        ("min", "iso19794-2", Class::Biometric),
        ("mka", "mka", Class::Audio),
        ("mov", "mov", Class::Audio),
        ("mp3", "mp3", Class::Audio),
        ("mp4", "mp4", Class::Audio),
        ("nist", "ansi-nist-itl", Class::Biometric),
        ("nsp", "nsp", Class::Audio),
        ("ofr", "optimfrog", Class::Audio),
        ("ofs", "optimfrog", Class::Audio),
        ("oga", "ogg", Class::Audio),
        ("ogg", "ogg", Class::Audio),
        ("oma", "oma", Class::Audio),
        ("opus", "ogg", Class::Audio),
        ("pcm", "raw-pcm", Class::Audio),
        ("ra", "realaudio", Class::Audio),
        ("raw", "raw-pcm", Class::Audio),
        ("rm", "realmedia", Class::Audio),
        ("sdi", "iso19794-7", Class::Biometric),
        ("shn", "shorten", Class::Audio),
        ("snd", "au", Class::Audio),
        ("sph", "sphere", Class::Audio),
        ("spx", "ogg", Class::Audio),
        ("tak", "tak", Class::Audio),
        ("tta", "tta", Class::Audio),
        ("voc", "voc", Class::Audio),
        ("wav", "wav", Class::Audio),
        ("webm", "webm", Class::Audio),
        ("wma", "wma", Class::Audio),
        ("wsq", "wsq", Class::Biometric),
        ("wv", "wavpack", Class::Audio),
        ("xyt", "iso19794-2", Class::Biometric),
    ];
    let (_, ext) = name.rsplit_once('.')?;
    let ext = ext.to_ascii_lowercase();
    BY_EXTENSION
        .binary_search_by(|(e, _, _)| e.cmp(&ext.as_str()))
        .ok()
        .map(|i| (BY_EXTENSION[i].1, BY_EXTENSION[i].2))
}

/// Is `format` an id atrest can report?
pub fn is_known(format: &str) -> bool {
    FORMATS.binary_search(&format).is_ok() || infer::is_supported(format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_is_sorted_and_knows_infer_types() {
        assert!(
            FORMATS.windows(2).all(|w| w[0] < w[1]),
            "keep FORMATS sorted"
        );
        assert!(is_known("wav") && is_known("png") && is_known("elf"));
        assert!(!is_known("wave") && !is_known("WAV"));
    }

    #[test]
    fn extensions_name_registered_formats() {
        assert_eq!(
            of_extension("a/b.FMR"),
            Some(("iso19794-2", Class::Biometric))
        );
        assert_eq!(of_extension("call.wav"), Some(("wav", Class::Audio)));
        assert_eq!(of_extension("notes.txt"), None);
        assert_eq!(of_extension("noext"), None);
        for ext in ["3gp", "aac", "aif", "amr", "an2", "wv", "xyt", "wsq", "spx"] {
            let (format, _) = of_extension(&format!("x.{ext}")).unwrap();
            assert!(is_known(format), "{ext} -> {format}");
        }
    }
}
