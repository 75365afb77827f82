"""Encode speed of `finefp8 tokenize` against the `tokenizers` library on the same English text,
one thread each (RAYON_NUM_THREADS=1 for the library). Prints MB/s for both and the ratio.

    .venv/bin/python bench/tokenizer_speed.py [MODEL_DIR ...] [--mb 8]

The text is generated (seeded) English prose: sentences of common English words with
punctuation, numbers and paragraph breaks, cut into 64 KiB strings. finefp8's time is the
jsonl run minus the same run on empty strings (process start and tokenizer load).
"""
import argparse
import json
import os
import pathlib
import random
import subprocess
import sys
import tempfile
import time

os.environ["RAYON_NUM_THREADS"] = "1"
from tokenizers import Tokenizer  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = pathlib.Path(os.environ.get("FINEFP8_BIN", ROOT / "build" / "finefp8"))
WORDS = """the of and to a in is it you that he was for on are with as I his they be at one have
this from or had by hot word but what some we can out other were all there when up use your how
said an each she which do their time if will way about many then them write would like so these
her long make thing see him two has look more day could go come did number sound no most people
my over know water than call first who may down side been now find any new work part take get
place made live where after back little only round man year came show every good me give our
under name very through just form sentence great think say help low line differ turn cause much
mean before move right boy old too same tell does set three want air well also play small end
put home read hand port large spell add even land here must big high such follow act why ask
men change went light kind off need house picture try us again animal point mother world near
build self earth father head stand own page should country found answer school grow study still
learn plant cover food sun four between state keep eye never last let thought city tree cross
farm hard start might story saw far sea draw left late run don't while press close night real
life few north open seem together next white children begin got walk example ease paper group
always music those both mark often letter until mile river car feet care second book carry took
science eat room friend began idea fish mountain stop once base hear horse cut sure watch color
face wood main enough plain girl usual young ready above ever red list though feel talk bird
soon body dog family direct pose leave song measure door product black short numeral class wind
question happen complete ship area half rock order fire south problem piece told knew pass since
top whole king space heard best hour better true during hundred five remember step early hold
west ground interest reach fast verb sing listen six table travel less morning ten simple
several vowel toward war lay against pattern slow center love person money serve appear road
map rain rule govern pull cold notice voice unit power town fine certain fly fall lead cry dark
machine note wait plan figure star box noun field rest correct able pound done beauty drive
stood contain front teach week final gave green oh quick develop ocean warm free minute strong
special mind behind clear tail produce fact street inch multiply nothing course stay wheel full
force blue object decide surface deep moon island foot system busy test record boat common gold
possible plane stead dry wonder laugh thousand ago ran check game shape equate miss brought heat
snow tire bring yes distant fill east paint language among""".split()


def english(n_bytes, seed=1):
    r = random.Random(seed)
    out, size = [], 0
    while size < n_bytes:
        words = [r.choice(WORDS) for _ in range(r.randint(4, 24))]
        words[0] = words[0].capitalize()
        if r.random() < 0.2:
            words.insert(r.randrange(len(words)), str(r.randint(0, 100000)))
        if r.random() < 0.3:
            words[r.randrange(len(words))] += ","
        s = " ".join(words) + r.choice([".", ".", ".", "?", "!"]) + r.choice([" ", " ", " ", "\n\n"])
        out.append(s)
        size += len(s)
    return "".join(out)


def chunks(text, size=65536):
    return [text[i:i + size] for i in range(0, len(text), size)]


def run_finefp8(model_dir, lines):
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        f.write("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines))
        path = f.name
    try:
        best = float("inf")
        for _ in range(3):
            with open(path, "rb") as stdin:
                t = time.perf_counter()
                subprocess.run([str(BIN), "tokenize", "-m", str(model_dir), "--jsonl"], stdin=stdin,
                               stdout=subprocess.DEVNULL, check=True)
                best = min(best, time.perf_counter() - t)
        return best
    finally:
        os.unlink(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dirs", nargs="*")
    ap.add_argument("--mb", type=float, default=8)
    args = ap.parse_args()
    dirs = args.dirs or [str(p.parent) for p in sorted((ROOT.parent / "shared/data/tokenizers").glob("*/tokenizer.json"))]
    text = english(int(args.mb * 1e6))
    lines = chunks(text)
    mb = len(text.encode()) / 1e6
    print(f"{mb:.1f} MB of generated English text in {len(lines)} strings, one thread each")
    for d in dirs:
        tok = Tokenizer.from_file(str(pathlib.Path(d) / "tokenizer.json"))
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            for s in lines:
                tok.encode(s, add_special_tokens=False)
            best = min(best, time.perf_counter() - t)
        ours = run_finefp8(d, lines) - run_finefp8(d, [""] * len(lines))
        ids_equal = all(tok.encode(s, add_special_tokens=False).ids == json.loads(o) for s, o in zip(
            lines[:8], subprocess.run([str(BIN), "tokenize", "-m", d, "--jsonl"], input="".join(
                json.dumps(x) + "\n" for x in lines[:8]).encode(), capture_output=True,
                check=True).stdout.decode().split("\n")))
        print(f"{pathlib.Path(d).name:>16}: finefp8 {mb / ours:6.1f} MB/s   tokenizers {mb / best:6.1f} MB/s"
              f"   ratio {best / ours:4.2f}x   (ids equal on a sample: {ids_equal})")


if __name__ == "__main__":
    sys.exit(main())
