#!/usr/bin/env bash
# Real-world accuracy benchmark: files this project did not make.
#
#   bash benches/realworld.sh [WORKDIR]          # download, extract, label, scan, score
#   ATREST=path/to/atrest bash benches/realworld.sh [WORKDIR]
#
# Downloads Debian packages (apt-get download + dpkg-deb -x) and PyPI
# sdists/wheels (pip download) that ship recordings, biometric samples and
# plenty of things that are neither (fonts, dictionaries, language models,
# tries, ELF codecs, images, compressed text), then runs
# benches/realworld.py: `build` picks and labels the files (extension plus a
# second opinion from ffprobe and file(1), plus hand-reviewed overrides),
# `scan` runs atrest, `score` prints recall / false-positive rate per family
# and per source and lists every miss and false positive with atrest's
# verdict. Downloads are kept in WORKDIR/dl, so a rerun reuses them.
#
# Needs: apt-get (after `apt-get update`), dpkg-deb, pip, python3, ffprobe
# (Debian's ffmpeg) and file. About 0.5 GB of downloads, 2 GB on disk.
# Without ATREST, builds the release binary with cargo.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:-${TMPDIR:-/tmp}/atrest-realworld}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

for tool in apt-get dpkg-deb pip python3 ffprobe file; do
  command -v "$tool" >/dev/null || { echo "realworld.sh: $tool is missing (apt-get install ffmpeg file python3-pip)" >&2; exit 2; }
done

# Debian packages. Audio: system/notification/game sounds, telephony prompts
# (headerless GSM 06.10 and G.722), VoIP ring tones, speech-dispatcher icons.
DEB_AUDIO="alsa-utils sound-theme-freedesktop oxygen-sounds deepin-sound-theme
 psi-plus-sounds eiskaltdcpp-sounds lomiri-sounds pidgin-data gajim baresip-core
 twinkle linphone-common sound-icons asterisk-core-sounds-en-gsm
 asterisk-core-sounds-en-g722 asterisk-core-sounds-en-wav asterisk-moh-opsound-gsm
 asterisk-moh-opsound-g722 asterisk-prompt-fr-armelle asterisk-prompt-es-co
 frozen-bubble-data tuxpaint-data pingus-data openttd-opensfx xboard"
# Speech technology that is not a recording (models, diphone/LPC databases,
# phoneme tables), and instrument sample banks.
DEB_SPEECHTECH="espeak-ng-data pocketsphinx-en-us festvox-kallpc16k
 festvox-us-slt-hts libflite1 freepats timgm6mb-soundfont"
# Must not be flagged: fonts, dictionaries, language models, tries, OCR
# models, databases, codec libraries (full of tables), images, firmware.
DEB_OTHER="fonts-dejavu-core fonts-liberation2 fonts-freefont-otf fonts-urw-base35
 fonts-wqy-zenhei fonts-noto-color-emoji fonts-font-awesome xfonts-base
 hunspell-en-us hunspell-de-de hunspell-fr-classical hyphen-en-us mythes-en-us
 wamerican wngerman aspell-en tesseract-ocr-eng tesseract-ocr-osd tesseract-ocr-deu
 poppler-data mecab-ipadic open-jtalk-mecab-naist-jdic sunpinyin-data libkkc-data
 libchewing3-data anthy-common voikko-fi libpinyin-data ibus-table-cangjie3
 geoip-database tzdata iso-codes shared-mime-info libmagic-mgc publicsuffix
 dict-jargon dict-gcide wordnet-base libavcodec59 libmp3lame0 libgsm1 libspeex1
 libopus0 libvorbisenc2 libflac12 libsndfile1 libx264-164 libicu72 opencv-data
 adwaita-icon-theme desktop-base gnome-backgrounds firmware-linux-free"

# PyPI sdists (tests and examples live there) and wheels, pinned.
PYPI_SDIST="mutagen==1.48.1 soundfile==0.14.0 webrtcvad==2.0.10 acoustics==0.2.6
 audiofile==1.6.1 pysptk==1.0.1 simpleaudio==1.0.4 pytaglib==3.2.0
 pymediainfo==7.0.1 pocketsphinx==5.1.1 pyglet==2.1.19 moviepy==2.2.1
 speechrecognition==3.17.0 wsq==0.9 nistitl==0.6 face-recognition==1.3.0
 pillow==13.0.0 resampy==0.4.3 pyroomacoustics==0.10.1 openai-whisper==20250625
 faster-whisper==1.2.0"
PYPI_WHEEL="scipy==1.17.1 pygame==2.6.1 arcade==3.3.3 silero-vad==6.2.3"

mkdir -p "$DIR/dl/deb" "$DIR/dl/pypi" "$DIR/x/deb" "$DIR/x/pypi"
: > "$DIR/sources.tsv.new"

# Debian: download what is not there yet, extract each package to its own tree.
(
  cd "$DIR/dl/deb"
  chmod 0777 . 2>/dev/null || true   # lets apt's _apt user write here
  missing=""
  for p in $DEB_AUDIO $DEB_SPEECHTECH $DEB_OTHER; do
    ls "${p}"_*.deb >/dev/null 2>&1 || missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    # One by one, so a package missing from this release does not stop the rest.
    for p in $missing; do apt-get download -q "$p" >/dev/null 2>&1 || echo "realworld.sh: apt-get download $p failed" >&2; done
  fi
)
for p in $DEB_AUDIO $DEB_SPEECHTECH $DEB_OTHER; do
  deb=$(ls "$DIR/dl/deb/${p}"_*.deb 2>/dev/null | head -1) || true
  [ -n "$deb" ] || continue
  ver=$(dpkg-deb -f "$deb" Version)
  printf 'deb:%s\t%s\t%s\n' "$p" "$ver" "$(basename "$deb")" >> "$DIR/sources.tsv.new"
  [ -d "$DIR/x/deb/$p" ] || { mkdir -p "$DIR/x/deb/$p.tmp" && dpkg-deb -x "$deb" "$DIR/x/deb/$p.tmp" && mv "$DIR/x/deb/$p.tmp" "$DIR/x/deb/$p"; }
done

# PyPI: only the named package is built from source for its metadata; its
# build dependencies come as wheels (--no-binary :all: would compile numpy).
fetch_pypi() { # spec kind
  local spec=$1 kind=$2 name=${1%%==*}
  local have
  have=$(ls "$DIR/dl/pypi" | grep -iE "^${name//-/[-_]}-${spec##*==}[.-]" | head -1) || true
  if [ -z "$have" ]; then
    if [ "$kind" = sdist ]; then
      timeout 600 pip download -q --no-deps --no-binary "$name" -d "$DIR/dl/pypi" "$spec" >/dev/null 2>&1 || true
    else
      timeout 600 pip download -q --no-deps --only-binary :all: --python-version 3.11 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 -d "$DIR/dl/pypi" "$spec" >/dev/null 2>&1 || true
    fi
    have=$(ls "$DIR/dl/pypi" | grep -iE "^${name//-/[-_]}-${spec##*==}[.-]" | head -1) || true
  fi
  [ -n "$have" ] || { echo "realworld.sh: pip download $spec failed" >&2; return 0; }
  printf 'pypi:%s\t%s\t%s\n' "$name" "${spec##*==}" "$have" >> "$DIR/sources.tsv.new"
  local out="$DIR/x/pypi/$name"
  [ -d "$out" ] && return 0
  mkdir -p "$out.tmp"
  case "$have" in
    *.tar.gz|*.tgz) tar xzf "$DIR/dl/pypi/$have" -C "$out.tmp" ;;
    *.zip|*.whl) python3 -m zipfile -e "$DIR/dl/pypi/$have" "$out.tmp" ;;
  esac
  mv "$out.tmp" "$out"
}
for s in $PYPI_SDIST; do fetch_pypi "$s" sdist; done
for s in $PYPI_WHEEL; do fetch_pypi "$s" wheel; done
mv "$DIR/sources.tsv.new" "$DIR/sources.tsv"

python3 "$ROOT/benches/realworld.py" build "$DIR"

if [ -z "${ATREST:-}" ]; then
  (cd "$ROOT" && cargo build --release --quiet)
  ATREST="$ROOT/target/release/atrest"
fi
ATREST="$ATREST" python3 "$ROOT/benches/realworld.py" scan "$DIR"
python3 "$ROOT/benches/realworld.py" score "$DIR" | tee "$DIR/score.txt"
