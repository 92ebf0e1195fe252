/*
 * The closest a plain YARA ruleset comes to atrest's default check, for the
 * timing comparison in benches/compare.sh (YARA-X and YARA 4 both compile it).
 *
 * audio_*         container magic numbers of the common audio formats, each
 *                 checked at offset 0 only, with the header bits a typical
 *                 rule checks (atrest validates much more: chained MP3 frames,
 *                 Ogg page CRCs, chunk sizes, and ~50 more formats).
 * partial_*       an audio header around a payload whose bytes look random.
 * random_like     no known magic and a head (first 64 KiB, what atrest reads
 *                 first) whose byte entropy is near 8 bits, with a threshold
 *                 per size band because a short random sample cannot reach
 *                 8.0 (expected 7.28 at 256 B, 7.82 at 1 KiB, 7.96 at 4 KiB).
 *                 atrest uses a battery of z-scored tests instead; a byte
 *                 entropy cut-off is what the peers offer (math.entropy).
 *
 * Rule names start with the class so that compare.sh can count audio hits.
 */
import "math"

rule audio_wav {
  condition:
    (uint32(0) == 0x46464952 or uint32(0) == 0x34364652)   // "RIFF", "RF64"
    and uint32(8) == 0x45564157                             // "WAVE"
}

rule audio_flac {
  condition:
    uint32(0) == 0x43614C66                                 // "fLaC"
}

rule audio_ogg {
  condition:
    uint32(0) == 0x5367674F and uint8(4) == 0               // "OggS", version 0
}

rule audio_id3 {
  condition:
    uint16(0) == 0x4449 and uint8(2) == 0x33                // "ID3"
    and uint8(3) < 0x05 and uint8(4) != 0xFF
}

rule audio_mp3_frame {
  condition:
    (uint16be(0) & 0xFFE0) == 0xFFE0                        // 11-bit frame sync
    and (uint8(1) & 0x18) != 0x08                           // MPEG version not reserved
    and (uint8(1) & 0x06) != 0x00                           // layer not reserved
    and (uint8(2) & 0xF0) != 0xF0                           // bitrate index not "bad"
    and (uint8(2) & 0x0C) != 0x0C                           // sample rate not reserved
}

rule audio_mp4 {
  condition:
    uint32be(4) == 0x66747970                               // "ftyp" (M4A, MP4, 3GP, MOV)
}

private rule known_compressed {
  condition:
    uint16(0) == 0x8B1F                                     // gzip
    or uint32be(0) == 0x89504E47                            // PNG
    or uint32(0) == 0x04034B50                              // zip
    or uint32be(0) == 0x28B52FFD                            // zstd
    or (uint32be(0) == 0xFD377A58 and uint16be(4) == 0x5A00) // xz
    or (uint16be(0) == 0x425A and uint8(2) == 0x68)         // bzip2
    or uint32be(0) == 0x377ABCAF                            // 7z
    or uint16be(0) == 0xFFD8                                // JPEG
}

rule partial_wav_random_payload {
  condition:
    audio_wav and filesize >= 4140
    and ((filesize < 65580 and math.entropy(44, filesize - 44) >= 7.9)
         or (filesize >= 65580 and math.entropy(44, 65536) >= 7.99))
}

rule random_like {
  condition:
    filesize >= 256
    and not known_compressed
    and not (audio_wav or audio_flac or audio_ogg or audio_id3 or audio_mp3_frame or audio_mp4)
    and ((filesize < 1024 and math.entropy(0, filesize) >= 7.0)
         or (filesize >= 1024 and filesize < 4096 and math.entropy(0, filesize) >= 7.7)
         or (filesize >= 4096 and filesize < 16384 and math.entropy(0, filesize) >= 7.93)
         or (filesize >= 16384 and filesize < 65536 and math.entropy(0, filesize) >= 7.98)
         or (filesize >= 65536 and math.entropy(0, 65536) >= 7.99))
}
