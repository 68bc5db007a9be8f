#!/usr/bin/env bash
# Builds the development set's 16 kHz mono WAV files from the original public files
# (see README.md for where each comes from), with sox. Usage: build.sh SOURCE_DIR OUT_DIR
# SOURCE_DIR holds the originals under their own names (LJ001-0001.wav, jfk.wav, …).
set -euo pipefail
src=$1
out=$2
mkdir -p "$out"/{audiobook,speech,telephone,noisy,turns}
to16k() { sox "$1" -b 16 -c 1 -r 16000 "$2" remix - rate -v 16000; }
gap() { sox -n -b 16 -c 1 -r 16000 "$1" trim 0 "$2"; }
# Telephone band as a phone line carries it: 300-3400 Hz, 8 kHz G.711 mu-law, back to 16 kHz.
telephone() { sox "$1" -r 8000 -e mu-law -t wav - sinc 300-3400 rate 8000 | sox -t wav - -b 16 -e signed -r 16000 "$2" rate -v 16000; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for n in $(seq -w 1 16); do to16k "$src/LJ001-00$n.wav" "$out/audiobook/LJ001-00$n.wav"; done
for n in $(seq -w 17 32); do to16k "$src/LJ001-00$n.wav" "$tmp/LJ001-00$n.wav"; done
# Consecutive clips of the same chapter, rejoined with a 0.4 s pause: a minute of continuous reading.
gap "$tmp/pause.wav" 0.4
joined() { local files=(); for n in "$@"; do files+=("$tmp/LJ001-00$n.wav" "$tmp/pause.wav"); done; sox "${files[@]}" "$tmp/joined.wav"; }
joined 17 18 19 20 21 22 23 24 && cp "$tmp/joined.wav" "$out/audiobook/LJ001-0017-0024.wav"
joined 29 30 31 32 && telephone "$tmp/joined.wav" "$out/telephone/LJ001-0029-0032.wav"

to16k "$src/jfk.wav" "$out/speech/jfk.wav"
to16k "$src/harvard.wav" "$out/speech/harvard.wav"
telephone "$out/speech/harvard.wav" "$out/telephone/harvard.wav"
to16k "$src/jackhammer.wav" "$out/noisy/jackhammer.wav"

# Three people talking in turn: a US woman (LJ), a US man (CMU ARCTIC aew) and an Indian
# English woman (CMU ARCTIC axb), 0.7 s between turns.
for f in aew_a0001 aew_a0002 aew_a0003 axb_a0004 axb_a0005 axb_a0006; do to16k "$src/cmu_arctic_us_$f.wav" "$tmp/$f.wav"; done
gap "$tmp/turn.wav" 0.7
turns=()
for f in LJ001-0025 aew_a0001 axb_a0004 LJ001-0026 aew_a0002 axb_a0005 LJ001-0027 aew_a0003 axb_a0006 LJ001-0028; do turns+=("$tmp/$f.wav" "$tmp/turn.wav"); done
sox "${turns[@]}" "$out/turns/three-speakers.wav"
