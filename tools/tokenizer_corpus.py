"""Deterministic test corpus for tokenizer conformance (tests/python/test_tokenizer_conformance.py,
bench/tokenizer_speed.py).

make(n, seed, specials) returns n strings, the same for the same arguments on every machine
(Python's random.Random with an integer seed is stable across versions and platforms). The
mix: multilingual text, emoji and ZWJ sequences, combining marks (composed and decomposed),
code, long whitespace runs (incl. every Unicode space), digits, very long words, control
characters, text around special-token strings (`specials`: the tokenizer's added tokens),
random bytes decoded with replacement, random code points, contractions, and random
concatenations of all of these.

Code points are drawn from Unicode 14 (PCRE2 10.42's tables; see docs/TOKENIZER.md).
"""
import random

PHRASES = [
    "The quick brown fox jumps over the lazy dog.",
    "Hello, world! How are you doing today?",
    "I can't believe it's already 2024; we'll see what THEY'LL do. She'd've known.",
    "Ça va très bien, merci ! Où est la bibliothèque ? L'été à Noël.",
    "Größere Äpfel schmecken süß. Straße, Fußgänger, Ärger.",
    "Быстрая коричневая лиса прыгает через ленивую собаку.",
    "Η γρήγορη καφέ αλεπού πηδάει πάνω από τον τεμπέλη σκύλο.",
    "الثعلب البني السريع يقفز فوق الكلب الكسول.",
    "השועל החום המהיר קופץ מעל הכלב העצלן.",
    "तेज़ भूरी लोमड़ी आलसी कुत्ते के ऊपर कूदती है।",
    "สุนัขจิ้งจอกสีน้ำตาลกระโดดข้ามสุนัขขี้เกียจ",
    "敏捷的棕色狐狸跳过了懒狗。我们今天去北京吃饭吧！",
    "素早い茶色の狐が怠け者の犬を飛び越える。カタカナとひらがな。",
    "빠른 갈색 여우가 게으른 개를 뛰어넘는다. 안녕하세요!",
    "Con cáo nâu nhanh nhẹn nhảy qua con chó lười biếng.",
    "Hızlı kahverengi tilki tembel köpeğin üzerinden atlar. İstanbul ılık.",
    "Szybki brązowy lis przeskakuje nad leniwym psem. Zażółć gęślą jaźń.",
    "ქართული ენა ძალიან ლამაზია.",
    "Հայերեն լեզուն հին է։",
    "ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ",
    "ఆంధ్ర ప్రదేశ్ తెలుగు భాష",
    "தமிழ் ஒரு பழமையான மொழி",
    "বাংলা ভাষা খুব সুন্দর",
    "ꦧꦱꦗꦮ ꦲꦏ꧀ꦱꦫ",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕞𝕒𝕥𝕙 𝐛𝐨𝐥𝐝 ℌ𝔢𝔩𝔩𝔬",
    "ﬁﬂ ligatures, ﬀ, Ⅻ roman, ① circled, ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３",
]

EMOJI = [
    "😀", "🤖", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🧑🏿‍💻", "❤️", "🇺🇸", "🇯🇵", "1️⃣", "#️⃣", "👩‍❤️‍💋‍👨",
    "🫠", "🦀", "🐍", "⭐", "✨", "🙏🏻", "🤷‍♀️", "🧑‍🤝‍🧑", "😶‍🌫️", "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
]

COMBINING = [
    "e\u0301", "a\u0300\u0301\u0302", "n\u0303", "o\u0308\u0304", "Z\u0351\u0352\u0353\u0354",
    "\u1100\u1161\u11a8", "\u1112\u1161\u11ab\u1100\u1173\u11af", "\u0915\u094d\u0937",
    "A\u030a", "\u212b", "\u00c5", "\u0041\u0328\u0301", "i\u0307", "\u03b9\u0308\u0301",
    "\u05d1\u05bc", "\u0627\u0653", "\u0e01\u0e34\u0e4a", "q\u0323\u0307",
    "\u1e9b\u0323", "\u0338", "\u0301abc", "\u3099", "\u304b\u3099", "\u30cf\u309a",
]

CODE = [
    "def f(x):\n    return x ** 2  # square\n",
    "for (int i = 0; i < n; ++i) {\n\tsum += a[i];\n}\n",
    '{"key": [1, 2.5, -3e10, null, true], "nested": {"a": "b\\n"}}',
    "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); return 0; }\n",
    "SELECT id, name FROM users WHERE age >= 18 ORDER BY name DESC;",
    "    if (a && b || !c) { x <<= 2; y >>= 3; z != w; }",
    "let v: Vec<u8> = vec![0xFF, 0x00]; // Rust\r\n",
    "<html><body><div class=\"x\">Hi &amp; bye</div></body></html>",
    "$ git commit -m 'fix: off-by-one' && ./run.sh --flag=value 2>&1 | tee log.txt",
    "x = [i for i in range(10) if i % 2 == 0]\n\n\n\ny = {k: v for k, v in d.items()}",
    "__init__ __main__ self.__dict__ ___ _a_b_c_ a_b",
    "http://example.com/path?query=1&b=2#frag https://huggingface.co/meta-llama",
]

SPACES = [" ", "  ", "\t", "\n", "\r\n", "\r", "\u00a0", "\u3000", "\u2003", "\u2009", "\u200b",
          "\u180e", "\u2028", "\u2029", "\u0085", "\u000b", "\u000c", "\u1680", "\u202f",
          "\u205f", "\ufeff", " \n ", "\n\n", "\t\t", "\u001c", "\u001f"]

CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Ve", "'M", "'LL",
                "'D", "don't", "I'M", "YOU'RE", "it's", "'", "''", "'x", "ʼs", "’s", "'ſ", "'K"]

# Assigned blocks of Unicode <= 14 (start, end) for random code points.
RANGES = [
    (0x20, 0x7E), (0xA0, 0x24F), (0x250, 0x36F), (0x370, 0x3FF), (0x400, 0x52F),
    (0x530, 0x58F), (0x590, 0x5FF), (0x600, 0x6FF), (0x900, 0x97F), (0x980, 0x9FF),
    (0xE00, 0xE7F), (0x10A0, 0x10FF), (0x1100, 0x11FF), (0x1E00, 0x1EFF), (0x2000, 0x206F),
    (0x2070, 0x209F), (0x20A0, 0x20C0), (0x2100, 0x214F), (0x2190, 0x23FF), (0x2460, 0x24FF),
    (0x2500, 0x27BF), (0x3000, 0x303F), (0x3040, 0x30FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3),
    (0xF900, 0xFAFF), (0xFB00, 0xFB4F), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF), (0x1D400, 0x1D7FF),
    (0x1F300, 0x1F5FF), (0x1F600, 0x1F64F), (0x1F900, 0x1F9FF), (0x20000, 0x2A6DF),
]


def _random_code_points(r, n):
    out = []
    for _ in range(n):
        lo, hi = r.choice(RANGES)
        c = chr(r.randint(lo, hi))
        if 0xD800 <= ord(c) <= 0xDFFF:
            continue
        out.append(c)
    return "".join(out)


def _letters(r, n, alphabet="abcdefghijklmnopqrstuvwxyz"):
    return "".join(r.choice(alphabet) for _ in range(n))


def _fragment(r, specials):
    kind = r.randrange(14)
    if kind == 0:
        return r.choice(PHRASES)
    if kind == 1:
        return "".join(r.choice(EMOJI) for _ in range(r.randint(1, 6)))
    if kind == 2:
        return "".join(r.choice(COMBINING) for _ in range(r.randint(1, 4)))
    if kind == 3:
        return r.choice(CODE)
    if kind == 4:
        return "".join(r.choice(SPACES) for _ in range(r.randint(1, 8))) * r.randint(1, 3)
    if kind == 5:
        digits = r.choice(["0123456789", "٠١٢٣٤٥٦٧٨٩", "０１２３４５６７８９", "०१२३४५६७८९", "0123456789,._-"])
        return "".join(r.choice(digits) for _ in range(r.randint(1, 40)))
    if kind == 6:
        return _letters(r, r.randint(20, 200), r.choice(["abcdefghijklmnopqrstuvwxyz", "ABCxyz", "абвгдеж", "的一是不了人我在有他", "ｱｲｳ", "éèêë"]))
    if kind == 7:
        return "".join(chr(r.choice(list(range(0, 32)) + [0x7F, 0x85, 0x9F, 0xAD])) for _ in range(r.randint(1, 6)))
    if kind == 8 and specials:
        tok = r.choice(specials)
        mode = r.randrange(5)
        if mode == 0:
            return tok
        if mode == 1:
            return f" {tok} "
        if mode == 2:
            return tok[: r.randint(1, max(1, len(tok) - 1))]  # a prefix: must not match
        if mode == 3:
            return tok + tok + r.choice(specials)
        return r.choice(["user", "hi", "\n", " "]) + tok + r.choice(["\n", "x", "  ", ""])
    if kind == 9:
        return r.randbytes(r.randint(1, 40)).decode("utf-8", errors="replace")
    if kind == 10:
        return _random_code_points(r, r.randint(1, 20))
    if kind == 11:
        return r.choice(["", " ", "x"]) + r.choice(CONTRACTIONS) + r.choice(["", " ", "s", "\n"])
    if kind == 12:
        w = r.choice(["supercalifragilistic", "antidisestablishment", "ab", "a", " "])
        return w * r.randint(1, 30)
    return r.choice(PHRASES).upper() if r.random() < 0.5 else r.choice(PHRASES).lower()


def make(n=10000, seed=20260, specials=()):
    r = random.Random(seed)
    specials = sorted(specials)
    out = ["", " ", "  ", "\n", "a", "Hello world", " Hello world", "Hello World", "HELLO",
           "\u00e9", "e\u0301", "\ufffd", "\x00", "a\x00b"]
    while len(out) < n:
        roll = r.random()
        if roll < 0.003:  # very long words and runs, a few thousand characters
            long_kind = r.randrange(6)
            if long_kind == 0:
                s = _letters(r, r.randint(2000, 8000))
            elif long_kind == 1:
                s = "a" * r.randint(1000, 10000)
            elif long_kind == 2:
                s = " " * r.randint(1000, 10000) + "x"
            elif long_kind == 3:
                s = "".join(r.choice("的一是不了人我在有他这为之大来以个中上们") for _ in range(r.randint(1000, 5000)))
            elif long_kind == 4:
                s = "1234567890" * r.randint(100, 800)
            else:
                s = "\n" * r.randint(500, 3000) + "\t " * r.randint(100, 1000)
        else:
            parts = [_fragment(r, specials) for _ in range(r.randint(1, 5))]
            s = r.choice(["", " ", "\n", ""]).join(parts)
        out.append(s)
    return out[:n]


if __name__ == "__main__":
    import json
    import sys
    for s in make(int(sys.argv[1]) if len(sys.argv) > 1 else 20):
        print(json.dumps(s, ensure_ascii=False))
